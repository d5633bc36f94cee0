"""The generated schema against Pulumi's own rules: the package metaschema (`pkg/codegen/schema/pulumi.json` of the
codegen version scripts/gen_sdk pins, read from Go's module cache) and the real `pulumi` CLI's checks, which keep
its flags and reject a broken schema."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pulumi_stripe_apps.schema import build_schema, render_schema, resource_modules, token

RESOURCES = resource_modules()
GEN_SDK = Path(__file__).resolve().parents[2] / "scripts" / "gen_sdk"


@pytest.fixture(scope="module")
def metaschema() -> dict[str, Any]:
    """Pulumi's package metaschema at the codegen version that generates sdk/ (scripts/gen_sdk/go.mod)."""
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    found = subprocess.run(
        ["go", "list", "-m", "-json", "github.com/pulumi/pulumi/pkg/v3"],
        cwd=GEN_SDK,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert found.returncode == 0, f"go list failed:\n{found.stderr}"
    module = json.loads(found.stdout)
    text = (Path(module["Dir"]) / "codegen" / "schema" / "pulumi.json").read_text()
    # Its version pattern names groups the ECMA/Go way, `(?<major>...)`; Python's `re` spells that `(?P<major>...)`.
    loaded: dict[str, Any] = json.loads(text.replace("(?<", "(?P<"))
    return loaded


def test_the_schema_validates_against_pulumis_metaschema(metaschema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(metaschema)
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(build_schema())
    ]
    assert problems == []
    # The validation is real: a property typed with an unknown primitive is refused.
    broken = build_schema()
    next(iter(broken["resources"].values()))["inputProperties"]["extra"] = {"type": "text"}
    assert not validator.is_valid(broken)


def test_pulumi_schema_check_binds_the_schema(tmp_path: Path) -> None:
    """`pulumi schema check`: the metaschema again, then the codegen binder (types, references, language rules)."""
    path = tmp_path / "schema.json"
    path.write_text(render_schema(), encoding="utf-8")
    done = subprocess.run(
        ["pulumi", "schema", "check", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    dangling = build_schema()
    dangling["resources"][token("AppInstallation")]["inputProperties"]["mode"]["$ref"] = "#/types/stripe-apps:index:No"
    path.write_text(json.dumps(dangling), encoding="utf-8")
    refused = subprocess.run(
        ["pulumi", "schema", "check", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert refused.returncode != 0 and "stripe-apps:index:No" in refused.stderr


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
