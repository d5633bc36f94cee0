"""The committed schema.json: current with the FIELDS tables (the real `pulumi` CLI's check: tests/engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_stripe_apps.fields import Policy
from pulumi_stripe_apps.schema import build_schema, camel, fields_of, render_schema, resource_modules, token

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_JSON = ROOT / "schema.json"
RESOURCES = resource_modules()


def test_committed_schema_is_current() -> None:
    committed = SCHEMA_JSON.read_bytes() if SCHEMA_JSON.is_file() else b""
    assert committed == render_schema().encode(), (
        "schema.json is missing or out of date with the resources' FIELDS tables: run `make schema` "
        "and commit schema.json"
    )


def test_render_is_deterministic() -> None:
    assert render_schema() == render_schema()
    assert render_schema().endswith("}\n")


@pytest.mark.parametrize(("name", "module_name"), RESOURCES, ids=[name for name, _ in RESOURCES])
def test_fields_table_is_reflected(name: str, module_name: str) -> None:
    resource = build_schema()["resources"][token(name)]
    inputs, outputs = resource["inputProperties"], resource["properties"]
    for field in fields_of(module_name):
        name_in_schema = camel(field.name)
        schema_props = [props[name_in_schema] for props in (inputs, outputs) if name_in_schema in props]
        assert schema_props, f"{name}.{field.name} is neither an input nor an output in the schema"
        for prop in schema_props:
            assert prop.get("replaceOnChanges", False) is (field.policy is Policy.REPLACE), (
                f"{name}.{field.name}: replaceOnChanges must follow policy {field.policy.name}"
            )
            assert prop.get("secret", False) is field.secret, f"{name}.{field.name}: secret must be {field.secret}"
            assert prop["type"] == field.type
        assert (name_in_schema in inputs) is field.is_input
        assert (name_in_schema in resource["required"]) is (field.output and field.always_set)
        assert (name_in_schema in outputs) is field.output
        assert (name_in_schema in resource["requiredInputs"]) is (field.required and name_in_schema in inputs)
