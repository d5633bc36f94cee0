"""Requests: what each operation sends, counted from the emulator's request log, against the minimum derived
for each surface (the emulator's full surface; Stripe's public surface, which has no Version History read)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

from pulumi_stripe_apps import AppInstallation, AppSecret, AppVersion
from pulumi_stripe_apps.surface import IDENTITY_PATH
from scripts.bench.common import REQUEST_OPS, SURFACES, Report, Row, log
from scripts.bench.engine import MODES
from tests.support.apps import set_manifest, write_app
from tests.support.engine import EngineSandbox
from tests.support.surfaces import serving

_ID = re.compile(r"/(appinst_test_|appinst_|app_|upload_|apupl_)[A-Za-z0-9]+")
APP_ID = "com.bench.req"

# (minimum, why) by surface and operation
MINIMUMS: dict[str, dict[str, tuple[int, str]]] = {
    "full": {
        "create install": (
            3,
            "GET /v1/apps/uploads?app= (the version rule: the Install API cannot name a version, so the newest "
            "completed upload must be read) + POST /v1/apps/installs + GET /v1/apps/installs/:id (the POST "
            "answers `installing`; one read sees `installed`; 0 if the POST already answers `installed`)",
        ),
        "upgrade install": (
            3,
            "test mode: GET /v1/apps/uploads?app= (version rule) + POST /v1/apps/installs/:id (re-authorize) + "
            "GET /v1/apps/installs/:id (the POST answers `installing`). Live mode needs one more GET of the "
            "install before the POST: the permission gate compares the new version's asks with what is granted",
        ),
        "uninstall": (
            2,
            "POST /v1/apps/installs/:id/uninstall (answers `uninstalling`) + GET /v1/apps/installs/:id until 404",
        ),
        "refresh one install": (
            2,
            "GET /v1/apps/installs/:id (status, pending access) + GET /v1/apps/uploads?app= (a newer upload is "
            "drift, and the installed version is inferred from it: the Install API names no version)",
        ),
        "no-op up (one install)": (0, "nothing changed and no refresh: the engine's check and diff need no API"),
    },
    "stripe": {
        "create install": (
            2,
            "POST /v1/apps/installs + GET /v1/apps/installs/:id (the POST answers `installing`). api.stripe.com "
            "has no Version History read, so no version-rule read: the install gets the newest upload, which "
            "the AppVersion of the same stack made",
        ),
        "upgrade install": (
            3,
            "GET /v1/apps/installs/:id (on Stripe's surface the install's pending access is the only sign of "
            "which version Stripe would install: access the declared version does not ask for refuses the "
            "upgrade) + POST /v1/apps/installs/:id (re-authorize) + GET /v1/apps/installs/:id (`installing`)",
        ),
        "uninstall": (
            2,
            "POST /v1/apps/installs/:id/uninstall (answers `uninstalling`) + GET /v1/apps/installs/:id until 404",
        ),
        "refresh one install": (
            1,
            "GET /v1/apps/installs/:id (status, pending access); no Version History to read for drift",
        ),
        "no-op up (one install)": (0, "nothing changed and no refresh: the engine's check and diff need no API"),
    },
}
WHOLE_STACK = "no-op up (whole stack)"


def shape(entries: list[dict[str, Any]]) -> str:
    return ", ".join(f"{e['method']} {_ID.sub(lambda m: '/' + m.group(1) + '*', e['path'])}" for e in entries)


def bench_requests(report: Report, work: Path) -> None:
    lines = [
        "| surface | operation | requests | minimum | what was sent | handshakes |",
        "|---|---|---|---|---|---|",
    ]
    for surface_name in SURFACES:
        log(f"requests: one install on the {surface_name} surface, each operation on its own")
        counted, asked = _count_surface(surface_name, work / f"requests-{surface_name}")
        for op in (*REQUEST_OPS, WHOLE_STACK):
            made = counted[op]
            minimum = MINIMUMS[surface_name][op][0] if op in REQUEST_OPS else 0
            lines.append(f"| {surface_name} | {op} | {len(made)} | {minimum} | {shape(made) or '-'} | {asked[op]} |")
            report.add(Row(f"requests {surface_name}: {op}", str(len(made)), f"= {minimum}", len(made) == minimum))
    for surface_name in SURFACES:
        lines += ["", f"Why each minimum ({surface_name} surface):"]
        lines += [f"- {op}: {why}" for op, (_n, why) in MINIMUMS[surface_name].items()]
    lines += [
        "",
        f"{WHOLE_STACK}: one AppVersion, an install in each of the three modes and a secret, up again unchanged.",
        f"handshakes: `GET {IDENTITY_PATH}`, by which a provider process asks an address other than api.stripe.com "
        "whether it is the emulator (at most once per process and address; api.stripe.com, however spelled, is never "
        "asked, so on Stripe itself this column is 0). Not an API request: not in `requests`.",
    ]
    report.section("requests", lines)


def _count_surface(surface_name: str, work: Path) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    with serving(surface_name, work) as surface:  # type: ignore[arg-type]
        control = surface.control
        control.rate_limits(enabled=False)
        sandbox = EngineSandbox(work / "engine")
        config = surface.config(app_ids=[APP_ID])
        app_dir = write_app(work / "app", app_id=APP_ID, sandbox=True)

        def stack(name: str, program: Callable[[], None]) -> Any:
            return sandbox.inline_stack(program, project=name, stack="bench", config=config)

        versions = stack("req-versions", lambda: pulumi.export("app", AppVersion("req", app_dir=str(app_dir)).app))
        app = str(versions.up().outputs["app"].value)

        def installs(version: str | None) -> Callable[[], None]:
            def program() -> None:
                if version is not None:
                    AppInstallation("one", app=app, version=version, mode="test")

            return program

        installs_stack = stack("req-installs", installs("1.0.0"))
        counted: dict[str, list[dict[str, Any]]] = {}
        asked: dict[str, int] = {}

        def count(op: str, run: Callable[[], object]) -> None:
            control.clear_requests()
            run()
            entries = control.requests()
            counted[op] = [e for e in entries if not e["path"].startswith("/_emulator")]
            asked[op] = sum(e["path"] == IDENTITY_PATH for e in entries)

        count("create install", installs_stack.up)
        count("no-op up (one install)", installs_stack.up)
        count("refresh one install", installs_stack.refresh)
        set_manifest(app_dir, version="2.0.0")
        versions.up()
        installs_stack.workspace.program = installs("2.0.0")
        count("upgrade install", installs_stack.up)
        installs_stack.workspace.program = installs(None)
        count("uninstall", installs_stack.up)

        def whole() -> None:
            version = AppVersion("whole", app_dir=str(app_dir))
            for mode in MODES:
                AppInstallation(
                    f"whole-{mode}",
                    app=version.app,
                    version=version.version,
                    mode=mode,
                    sandbox_install_compatible=version.sandbox_install_compatible,
                    requested_access=version.requested_access,
                )
            AppSecret("whole-secret", name="bench", mode="test", payload="value")

        whole_stack = stack("req-whole", whole)
        whole_stack.up()
        count(WHOLE_STACK, whole_stack.up)
        return counted, asked
