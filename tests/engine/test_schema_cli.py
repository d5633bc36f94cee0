"""The real `pulumi` CLI accepts the generated schema, keeps its flags, and rejects a broken one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from pulumi_stripe_apps.schema import build_schema, render_schema, resource_modules, token

RESOURCES = resource_modules()


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
