"""The committed schema.json: current with the FIELDS tables, accepted by the real `pulumi` CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pulumi_stripe_apps.fields import Policy
from pulumi_stripe_apps.schema import build_schema, fields_of, render_schema, resource_modules, token

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


def test_pulumi_cli_accepts_the_schema(tmp_path: Path) -> None:
    # The generated schema, not only the committed file, so a stale file cannot hide a bad generator.
    path = tmp_path / "schema.json"
    path.write_text(render_schema(), encoding="utf-8")
    result = subprocess.run(
        ["pulumi", "package", "get-schema", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"pulumi rejected the schema:\n{result.stderr}"
    bound: dict[str, Any] = json.loads(result.stdout)
    assert bound["name"] == "stripe-apps"
    assert sorted(bound["resources"]) == sorted(token(name) for name, _ in RESOURCES)
    # The CLI drops keys it does not know, so the flags surviving the round trip proves they are schema keys.
    for name, _ in RESOURCES:
        ours = build_schema()["resources"][token(name)]
        theirs = bound["resources"][token(name)]
        for section in ("inputProperties", "properties"):
            assert theirs.get(section, {}) == ours[section], f"{name}.{section} changed in the CLI's round trip"


def test_pulumi_cli_rejects_a_broken_schema(tmp_path: Path) -> None:
    # Proves the acceptance above is a real validation: an unknown required input must fail.
    schema = build_schema()
    first = next(iter(schema["resources"].values()))
    first["requiredInputs"] = [*first["requiredInputs"], "no_such_input"]
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    result = subprocess.run(
        ["pulumi", "package", "get-schema", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "no_such_input" in result.stderr


@pytest.mark.parametrize(("name", "module_name"), RESOURCES, ids=[name for name, _ in RESOURCES])
def test_fields_table_is_reflected(name: str, module_name: str) -> None:
    resource = build_schema()["resources"][token(name)]
    inputs, outputs = resource["inputProperties"], resource["properties"]
    for field in fields_of(module_name):
        schema_props = [props[field.name] for props in (inputs, outputs) if field.name in props]
        assert schema_props, f"{name}.{field.name} is neither an input nor an output in the schema"
        for prop in schema_props:
            assert prop.get("replaceOnChanges", False) is (field.policy is Policy.REPLACE), (
                f"{name}.{field.name}: replaceOnChanges must follow policy {field.policy.name}"
            )
            assert prop.get("secret", False) is field.secret, f"{name}.{field.name}: secret must be {field.secret}"
            assert prop["type"] == field.type
        assert (field.name in inputs) is (field.policy is not Policy.COMPUTED)
        assert (field.name in outputs) is field.output
        assert (field.name in resource["requiredInputs"]) is (field.required and field.name in inputs)
