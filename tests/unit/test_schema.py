"""The committed schema.json: current with the FIELDS tables (Pulumi's metaschema and the real `pulumi` CLI's
checks: tests/engine/test_schema_cli.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_stripe_apps.fields import DISTRIBUTION, MODE, SECRET_SCOPE, UPLOADER, Policy
from pulumi_stripe_apps.resources import app_installation, app_secret
from pulumi_stripe_apps.schema import (
    CONFIG,
    build_schema,
    camel,
    fields_of,
    render_schema,
    resource_modules,
    token,
)
from pulumi_stripe_apps.settings import MODES

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
            # The provider decides replacements; `replaceOnChanges` would make the SDKs force them (see schema.py).
            assert "replaceOnChanges" not in prop, f"{name}.{field.name}: the SDKs would force a replace"
            assert prop.get("willReplaceOnChanges", False) is (field.policy is Policy.REPLACE), (
                f"{name}.{field.name}: willReplaceOnChanges must follow policy {field.policy.name}"
            )
            assert prop.get("secret", False) is field.secret, f"{name}.{field.name}: secret must be {field.secret}"
            if field.choices is None:
                assert prop["type"] == field.type
            else:
                assert prop["$ref"] == f"#/types/{token(field.choices.name)}"
        assert (name_in_schema in inputs) is field.is_input
        assert (name_in_schema in resource["required"]) is (field.output and field.always_set)
        assert (name_in_schema in outputs) is field.output
        assert (name_in_schema in resource["requiredInputs"]) is (field.required and name_in_schema in inputs)


def test_enum_types_hold_the_values_check_accepts() -> None:
    types = build_schema()["types"]
    assert MODE.allowed == MODES
    assert DISTRIBUTION.allowed == app_installation.DISTRIBUTIONS
    assert SECRET_SCOPE.allowed == app_secret.SCOPES
    assert UPLOADER.allowed == ("cli", "api")  # settings.load_settings accepts these two
    for choices in (MODE, DISTRIBUTION, SECRET_SCOPE, UPLOADER):
        declared = types[token(choices.name)]
        assert declared["type"] == "string" and declared["description"]
        assert [(value["value"], bool(value["description"])) for value in declared["enum"]] == [
            (value, True) for value in choices.allowed
        ]
    assert "Uploader" in CONFIG["uploader"].description and CONFIG["uploader"].choices is UPLOADER


def described(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, description) of every property, config variable and type of the schema."""
    for key, prop in schema["config"]["variables"].items():
        yield f"config {key}", prop["description"]
    for token_, spec in schema["types"].items():
        yield token_, spec["description"]
    for token_, resource in schema["resources"].items():
        yield token_, resource["description"]
        for section in ("inputProperties", "properties"):
            for key, prop in resource[section].items():
                yield f"{token_}.{section}.{key}", prop["description"]


def test_every_property_has_an_example_and_names_properties_in_camel_case() -> None:
    schema = build_schema()
    snake_names = {
        field.name for _, module_name in resource_modules() for field in fields_of(module_name) if "_" in field.name
    }
    for where, text in described(schema):
        mentioned = set(re.findall(r"[a-z]+(?:_[a-z]+)+", text))
        # `distribution_type` is also stripe-app.json's own key, which distributionType's description names.
        assert not mentioned & snake_names - {"distribution_type"}, f"{where} names a property in snake_case: {text!r}"
    for token_, resource in schema["resources"].items():
        for section in ("inputProperties", "properties"):
            for key, prop in resource[section].items():
                example = re.search(r"Example: `(.+)`$", prop["description"])
                assert example, f"{token_}.{key} has no example"
                json.loads(example.group(1))  # a value as a program writes it
    for key, prop in schema["config"]["variables"].items():
        assert re.search(r"Example: `.+`$", prop["description"]), f"config {key} has no example"


def test_registry_metadata() -> None:
    schema = build_schema()
    assert schema["license"] == "Apache-2.0"
    assert "kind/native" in schema["keywords"] and "category/utility" in schema["keywords"]
    for key in ("repository", "homepage"):
        assert schema[key].startswith("https://github.com/"), key
    assert schema["publisher"]


def test_a_generated_python_sdk_cannot_shadow_the_dynamic_package() -> None:
    package_name = build_schema()["language"]["python"]["packageName"]
    assert package_name.isidentifier() and package_name != "pulumi_stripe_apps"
    assert not (ROOT / "provider" / package_name).exists()
