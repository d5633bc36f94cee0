"""The reliability stacks as YAML programs: the native plugin (`pulumi-resource-stripe-apps`) behind the engine,
the same resources and names as the Python programs the dynamic front runs.

A program is written as JSON, which YAML reads as it is: no quoting rules between the values and the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.reliability.support import MODES

VERSION = "stripe-apps:index:AppVersion"
INSTALL = "stripe-apps:index:AppInstallation"
SECRET = "stripe-apps:index:AppSecret"


def _install(mode: str, distribution: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": INSTALL,
        "properties": {
            "app": "${r0.app}",
            "version": "${r0.version}",
            "mode": mode,
            "distribution": distribution,
            "sandboxInstallCompatible": "${r0.sandboxInstallCompatible}",
            "requestedAccess": "${r0.requestedAccess}",
            **extra,
        },
    }


def _secret(mode: str, payload: str) -> dict[str, Any]:
    return {"type": SECRET, "properties": {"name": "api_token", "payload": {"fn::secret": payload}, "mode": mode}}


def write_program(project_dir: Path, name: str, resources: Mapping[str, Any], outputs: Mapping[str, str]) -> None:
    program = {"name": name, "runtime": "yaml", "resources": dict(resources), "outputs": dict(outputs)}
    (project_dir / "Pulumi.yaml").write_text(json.dumps(program, indent=1) + "\n")


def fault_run_program(project_dir: Path, app_dir: Path, *, public: bool) -> None:
    """fault_runs.program: a version, an install per mode (the live one public on `public` runs), a secret per mode."""
    resources: dict[str, Any] = {"r0": {"type": VERSION, "properties": {"appDir": str(app_dir)}}}
    for mode in MODES:
        resources[f"r0-{mode}"] = _install(mode, "public" if public and mode == "live" else "private")
        resources[f"s-{mode}"] = _secret(mode, f"token-{mode}-{app_dir.name}")
    write_program(project_dir, "faults", resources, {f"r0-{mode}": f"${{r0-{mode}.status}}" for mode in MODES})


def tour_program(project_dir: Path, app_dir: str, tour: Mapping[str, str]) -> None:
    """kill_tours.PROGRAM with the tour's values written in: installs per mode and on a connected account,
    a secret in test and live mode."""
    resources: dict[str, Any] = {"r0": {"type": VERSION, "properties": {"appDir": app_dir}}}
    for mode in MODES:
        resources[f"r0-{mode}"] = _install(mode, tour["live_distribution"] if mode == "live" else "private")
    connected = {
        "app": "${r0.app}",
        "version": "${r0.version}",
        "mode": tour["connected_mode"],
        "account": tour["connected_account"],
        "requestedAccess": "${r0.requestedAccess}",
    }
    resources["r0-connected"] = {"type": INSTALL, "properties": connected}
    for mode in ("test", "live"):
        resources[f"s-{mode}"] = _secret(mode, tour["secret_payload"])
    write_program(
        project_dir, "reliability-tour", resources, {f"r0-{mode}": f"${{r0-{mode}.status}}" for mode in MODES}
    )
