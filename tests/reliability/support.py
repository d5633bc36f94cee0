"""Stacks, sizes and audits shared by the reliability tests (figures come from the emulator's own state)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppVersion
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.support.apps import write_app

MODES = ("test", "sandbox", "live")
VERSION_TYPE = "pulumi-python:dynamic/stripeapps:AppVersion"
INSTALL_TYPE = "pulumi-python:dynamic/stripeapps:AppInstallation"
# Every write route: uploads, and (one pattern, so each request draws once per kind) install create,
# reauthorize `installs/:id` and `installs/:id/uninstall`.
WRITE_ROUTES = ("POST /v1/apps/uploads", "POST /v1/apps/installs*")
FAULT_KINDS = ("error_before", "error_after", "rate_limit", "drop", "latency")


@dataclass(frozen=True)
class Size:
    name: str
    fault_seeds: int
    fault_apps: int
    fault_rate: float
    attempts: int
    crash_points: int
    fuzz_engine_examples: int
    fuzz_check_examples: int
    limit_apps: int


SIZES = {
    "ci": Size("ci", fault_seeds=3, fault_apps=2, fault_rate=0.2, attempts=6, crash_points=2,
               fuzz_engine_examples=15, fuzz_check_examples=300, limit_apps=10),
    "full": Size("full", fault_seeds=10, fault_apps=3, fault_rate=0.25, attempts=6, crash_points=8,
                 fuzz_engine_examples=200, fuzz_check_examples=3000, limit_apps=10),
}  # fmt: skip


def _size() -> Size:
    name = os.environ.get("STRIPE_APPS_RELIABILITY_SIZE", "ci")
    if name not in SIZES:
        raise ValueError(f"STRIPE_APPS_RELIABILITY_SIZE must be one of {', '.join(SIZES)}, not {name!r}")
    return SIZES[name]


SIZE = _size()


def app_ids(count: int) -> list[str]:
    return [f"com.example.reliability{index}" for index in range(count)]


def write_apps(root: Path, count: int) -> list[Path]:
    return [
        write_app(root / app_id, app_id=app_id, source=f"export const View = () => '{app_id}';\n")
        for app_id in app_ids(count)
    ]


def config(emulator: RunningEmulator) -> dict[str, auto.ConfigValue]:
    keys = emulator.keys
    return {
        "stripe-apps:apiBase": auto.ConfigValue(emulator.url),
        "stripe-apps:testApiKey": auto.ConfigValue(keys["default"]["test"], secret=True),
        "stripe-apps:sandboxApiKey": auto.ConfigValue(keys["sandbox"]["test"], secret=True),
        "stripe-apps:liveApiKey": auto.ConfigValue(keys["default"]["live"], secret=True),
    }


def program(app_dirs: Iterable[Path], modes: Iterable[str] = MODES) -> Callable[[], None]:
    """One AppVersion per app directory and one AppInstallation per mode of each."""
    dirs, wanted = list(app_dirs), list(modes)

    def run() -> None:
        for app_dir in dirs:
            name = app_dir.name.rsplit(".", 1)[-1]
            version = AppVersion(name, app_dir=str(app_dir))
            for mode in wanted:
                install = AppInstallation(
                    f"{name}-{mode}",
                    app=version.app,
                    version=version.version,
                    mode=mode,
                    sandbox_install_compatible=version.sandbox_install_compatible,
                )
                pulumi.export(f"{name}-{mode}", install.status)

    return run


def fault_rules(rate: float, latency_ms: int = 150) -> list[dict[str, Any]]:
    """Every fault kind on every write route; one request is faulted with probability `rate` overall."""
    per_kind = 1 - (1 - rate) ** (1 / len(FAULT_KINDS))
    return [
        {"route": route, "kind": kind, "probability": per_kind, "latency_ms": latency_ms if kind == "latency" else 0}
        for kind in FAULT_KINDS
        for route in WRITE_ROUTES
    ]


def objects(control: ControlClient, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = control.state()["objects"].get(kind, [])
    return found


def live_installs(control: ControlClient) -> list[dict[str, Any]]:
    """Installs that exist on the emulator; an uninstall that is due but not yet read still counts as gone."""
    return [install for install in objects(control, "install") if install["status"] != "uninstalling"]


def resources(deployment: Mapping[str, Any] | None, type_: str) -> list[dict[str, Any]]:
    return [res for res in (deployment or {}).get("resources") or [] if res.get("type") == type_]


@dataclass(frozen=True)
class Audit:
    duplicate_uploads: int
    duplicate_installs: int
    orphan_uploads: int
    orphan_installs: int
    missing: int

    @property
    def duplicates(self) -> int:
        return self.duplicate_uploads + self.duplicate_installs

    @property
    def orphans(self) -> int:
        return self.orphan_uploads + self.orphan_installs


def audit(
    control: ControlClient, deployment: Mapping[str, Any] | None, *, retained_uploads: Iterable[str] = ()
) -> Audit:
    """Duplicates and orphans on the emulator against a stack's state.

    A duplicate is a second upload of one app version or a second install of one app on one account and
    mode. An orphan is an upload or install the stack does not know (`retained_uploads` are versions a
    destroy legitimately leaves in Version History). `missing` counts stack resources the emulator lacks.
    """
    uploads = [upload for upload in objects(control, "upload") if upload["status"] != "failed"]
    installs = live_installs(control)
    per_version = Counter((upload["app_id"], upload["version"]) for upload in uploads)
    per_install = Counter((install["app"], install["account"], install["livemode"]) for install in installs)
    known_uploads = {res["id"] for res in resources(deployment, VERSION_TYPE)} | set(retained_uploads)
    known_installs = {res["id"] for res in resources(deployment, INSTALL_TYPE)}
    present = {upload["id"] for upload in uploads} | {install["id"] for install in installs}
    return Audit(
        duplicate_uploads=sum(count - 1 for count in per_version.values()),
        duplicate_installs=sum(count - 1 for count in per_install.values()),
        orphan_uploads=len({upload["id"] for upload in uploads} - known_uploads),
        orphan_installs=len({install["id"] for install in installs} - known_installs),
        missing=len((known_installs | {res["id"] for res in resources(deployment, VERSION_TYPE)}) - present),
    )


def api_requests(control: ControlClient) -> list[dict[str, Any]]:
    return [entry for entry in control.requests() if entry["path"].startswith("/v1/")]
