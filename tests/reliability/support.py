"""Sizes, stacks and measurements shared by the reliability tests; every figure comes from the emulator's own
records (objects, the request log with each create attempt's target) and the engine's own events."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppSecret, AppVersion
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.support.apps import write_app
from tests.support.surfaces import SURFACES

MODES = ("test", "sandbox", "live")
# The dynamic front's types; the native front's (`stripe-apps:index:NAME`) are read as these (`canonical_type`).
VERSION_TYPE = "pulumi-python:dynamic/stripeapps:AppVersion"
INSTALL_TYPE = "pulumi-python:dynamic/stripeapps:AppInstallation"
SECRET_TYPE = "pulumi-python:dynamic/stripeapps:AppSecret"
NATIVE_TYPE_PREFIX = "stripe-apps:index:"
# The dynamic resources in a Python program, and the native plugin behind a YAML program.
Front = Literal["dynamic", "native"]
FRONTS: tuple[Front, ...] = ("dynamic", "native")
# Every API route the provider calls gets every fault kind: reads and polls, uploads, installs, secrets, review.
EVERY_ROUTE = "* /v1/*"
ERROR_KINDS = ("error_before", "error_after", "rate_limit", "lock_timeout", "drop")
# Steps that make the provider send a create: one attempt each at most. AppSecret's update is a `set` too.
CREATE_OPS = ("create", "create-replacement")
SET_TYPES = (SECRET_TYPE,)


@dataclass(frozen=True)
class Size:
    name: str
    fault_seeds: int  # per surface
    fault_workers: int
    error_rate: float  # per request, every route
    latency_rate: float
    attempts: int
    kill_tours: int  # per surface, each interrupting every kind of operation it runs
    kill_kinds: dict[str, tuple[str, ...]]
    # The native front's share: fault seeds per surface and kill tours per surface (each over the same kinds).
    native_fault_seeds: int
    native_kill_tours: int
    native_kill_kinds: dict[str, tuple[str, ...]]
    fuzz_engine_examples: int
    fuzz_check_examples: int
    fuzz_seed: int
    limit_apps: int


KINDS = ("create", "upgrade", "mode_replace", "secret_rotation", "public_switch", "destroy")
STRIPE_KINDS = tuple(kind for kind in KINDS if kind != "public_switch")  # refused at preview on Stripe
SIZES = {
    "ci": Size("ci", fault_seeds=1, fault_workers=2, error_rate=0.2, latency_rate=0.05, attempts=6, kill_tours=1,
               kill_kinds={"full": ("public_switch",), "stripe": ("create",)},
               native_fault_seeds=1, native_kill_tours=1,
               native_kill_kinds={"full": ("upgrade",), "stripe": ("create",)},
               fuzz_engine_examples=12, fuzz_check_examples=300, fuzz_seed=20251, limit_apps=10),
    "full": Size("full", fault_seeds=50, fault_workers=5, error_rate=0.22, latency_rate=0.05, attempts=6,
                 kill_tours=2, kill_kinds={"full": KINDS, "stripe": STRIPE_KINDS},
                 native_fault_seeds=10, native_kill_tours=1,
                 native_kill_kinds={"full": KINDS, "stripe": STRIPE_KINDS},
                 fuzz_engine_examples=200, fuzz_check_examples=3000, fuzz_seed=20251, limit_apps=10),
}  # fmt: skip


def _size() -> Size:
    name = os.environ.get("STRIPE_APPS_RELIABILITY_SIZE", "ci")
    if name not in SIZES:
        raise ValueError(f"STRIPE_APPS_RELIABILITY_SIZE must be one of {', '.join(SIZES)}, not {name!r}")
    return SIZES[name]


SIZE = _size()
assert set(SIZE.kill_kinds) == set(SURFACES) == set(SIZE.native_kill_kinds)


def kill_plan(front: Front) -> tuple[int, dict[str, tuple[str, ...]]]:
    """(tours per surface, killed kinds per surface) of one front."""
    return (
        (SIZE.kill_tours, SIZE.kill_kinds) if front == "dynamic" else (SIZE.native_kill_tours, SIZE.native_kill_kinds)
    )


def fault_seeds(front: Front) -> int:
    return SIZE.fault_seeds if front == "dynamic" else SIZE.native_fault_seeds


def canonical_type(type_: str) -> str:
    """A resource type of either front as the dynamic front names it."""
    if type_.startswith(NATIVE_TYPE_PREFIX):
        return f"pulumi-python:dynamic/stripeapps:{type_[len(NATIVE_TYPE_PREFIX) :]}"
    return type_


def snake(name: str) -> str:
    """A property of either front as the dynamic front names it: `sandboxInstallCompatible` -> `sandbox_...`."""
    return re.sub(r"(?<!^)([A-Z])", lambda match: "_" + match.group(1).lower(), name)


def snake_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    return {snake(key): value for key, value in values.items()}


def app_ids(count: int) -> list[str]:
    return [f"com.example.reliability{index}" for index in range(count)]


def write_apps(root: Path, count: int, **options: Any) -> list[Path]:
    return [
        write_app(root / app_id, app_id=app_id, source=f"export const View = () => '{app_id}';\n", **options)
        for app_id in app_ids(count)
    ]


def config(emulator: RunningEmulator) -> dict[str, auto.ConfigValue]:
    """The full surface's settings and keys (tests of one surface: bad input, refusals)."""
    keys = emulator.keys
    return {
        "stripe-apps:apiBase": auto.ConfigValue(emulator.url),
        "stripe-apps:testApiKey": auto.ConfigValue(keys["default"]["test"], secret=True),
        "stripe-apps:sandboxApiKey": auto.ConfigValue(keys["sandbox"]["test"], secret=True),
        "stripe-apps:liveApiKey": auto.ConfigValue(keys["default"]["live"], secret=True),
    }


def program(app_dirs: Iterable[Path], modes: Iterable[str] = MODES, secrets: bool = False) -> Callable[[], None]:
    """One AppVersion per app directory, one AppInstallation per mode of each, and with `secrets` an AppSecret
    per mode of each."""
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
                    requested_access=version.requested_access,
                )
                pulumi.export(f"{name}-{mode}", install.status)
                if secrets:
                    AppSecret(
                        f"{name}-secret-{mode}", name=f"{name}_token", payload=secret_payload(name, mode), mode=mode
                    )

    return run


def secret_payload(name: str, mode: str) -> str:
    return f"payload-{name}-{mode}-9f2c4e7a1b"


def fault_rules(error_rate: float, latency_rate: float, latency_ms: int = 100) -> list[dict[str, Any]]:
    """Every error kind on every route, one request in `error_rate` failing overall; latency apart.

    The emulator draws once per rule in order and the first that fires decides, so each error rule's
    probability is set for its share of `error_rate`, and latency only reaches requests no error took.
    """
    rules: list[dict[str, Any]] = []
    left = 1.0
    share = error_rate / len(ERROR_KINDS)
    for kind in ERROR_KINDS:
        rules.append({"route": EVERY_ROUTE, "kind": kind, "probability": share / left, "latency_ms": 0})
        left -= share
    rules.append({"route": EVERY_ROUTE, "kind": "latency", "probability": latency_rate, "latency_ms": latency_ms})
    return rules


def api_requests(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["path"].startswith("/v1/")]


_OBJECT_ID = re.compile(r"^(acct|app|appinst|appinst_test|appupl|appsecret)_[A-Za-z0-9]+$")


def route_of(entry: Mapping[str, Any]) -> str:
    """`METHOD /path` with object ids as `{id}`: the route a request took."""
    path = "/".join("{id}" if _OBJECT_ID.match(part) else part for part in entry["path"].split("/"))
    return f"{entry['method']} {path}"


# -- names: what a step or a request is about, the same on every emulator -----------------------------


@dataclass(frozen=True)
class Names:
    """Emulator ids into names that mean the same on every emulator: app ids into manifest ids, accounts
    into roles (default, sandbox, connected), so plans from one emulator compare with requests on another."""

    apps: Mapping[str, str]
    accounts: Mapping[str, str]

    @classmethod
    def of(cls, control: ControlClient, connected: Iterable[str] = ()) -> Names:
        state = control.state()["objects"]
        keys = control.keys()
        accounts = {keys["default"]["account"]: "default", keys["sandbox"]["account"]: "sandbox"}
        accounts.update(dict.fromkeys(connected, "connected"))
        return cls({app["id"]: app["app_id"] for app in state.get("app", [])}, accounts)

    def target(self, target: str) -> str:
        kind, _, rest = target.partition(":")
        if kind in ("install", "review"):
            return f"{kind}:{self.apps.get(rest, rest)}"
        return target

    def account(self, account: str | None) -> str:
        return self.accounts.get(account or "", account or "unknown")


Target = tuple[str, str, str]  # (target, account role, mode: test or live)


def create_attempts(entries: Iterable[dict[str, Any]], names: Names) -> Counter[Target]:
    """Create attempts per target in a slice of the request log: one idempotency key is one attempt (its
    retries and replays included); a request without a key (the Stripe CLI's upload) is one attempt."""
    attempts: dict[str, Target] = {}
    for entry in entries:
        if entry.get("target") is None:
            continue
        attempt = entry["idempotency_key"] or entry["request_id"]
        mode = "live" if entry["mode"] == "live" else "test"  # a sandbox is a test-mode account of its own
        attempts.setdefault(attempt, (names.target(entry["target"]), names.account(entry["account"]), mode))
    return Counter(attempts.values())


@dataclass(frozen=True)
class Step:
    op: str
    type: str
    inputs: Mapping[str, Any]


def step_target(step: Step, app_names: Mapping[str, str]) -> Target | None:
    """The create target a step needs, in `Names` terms; None for steps that send no create."""
    writes = step.op in CREATE_OPS or (step.op == "update" and step.type in SET_TYPES)
    if not writes:
        return None
    inputs = step.inputs
    mode = str(inputs.get("mode") or "test")
    live = "live" if mode == "live" else "test"
    role = "connected" if inputs.get("account") else ("sandbox" if mode == "sandbox" else "default")
    if step.type == VERSION_TYPE:
        return (f"upload:{inputs.get('app_id')}@{inputs.get('version')}", "default", "test")
    if step.type == INSTALL_TYPE:
        app = app_names.get(str(inputs.get("app")), str(inputs.get("app")))
        if inputs.get("distribution") == "public":
            return (f"review:{app}", "default", "test")
        return (f"install:{app}", role, live)
    if step.type == SECRET_TYPE:
        scope = str(inputs.get("scope") or "account")
        return (f"secret:{scope}:{inputs.get('user') or ''}:{inputs.get('name')}", role, live)
    return None


def planned_creates(steps: Iterable[Step], app_names: Mapping[str, str]) -> Counter[Target]:
    return Counter(target for step in steps if (target := step_target(step, app_names)) is not None)


def excess_creates(attempts: Counter[Target], planned: Counter[Target]) -> dict[str, int]:
    """Create attempts beyond what the plan's steps needed, per target (a second create is a duplicate)."""
    return {
        f"{target} ({account}, {mode})": count - planned[(target, account, mode)]
        for (target, account, mode), count in attempts.items()
        if count > planned[(target, account, mode)]
    }


def steps_of_automation_events(events: Iterable[Any]) -> list[Step]:
    """Steps from the Automation API's typed engine events (resource pre-events)."""
    steps = []
    for event in events:
        pre = getattr(event, "resource_pre_event", None)
        if pre is None or pre.metadata is None:
            continue
        meta = pre.metadata
        inputs = (meta.new.inputs if meta.new is not None else None) or {}
        steps.append(Step(str(getattr(meta.op, "value", meta.op)), canonical_type(meta.type), snake_keys(inputs)))
    return steps


def steps_of_event_log(path: Path) -> list[Step]:
    """Steps from a `pulumi --event-log` file (JSON lines; a line cut by a kill is left out)."""
    steps = []
    if not path.exists():
        return steps
    for line in path.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        meta = (event.get("resourcePreEvent") or {}).get("metadata")
        if meta:
            inputs = snake_keys((meta.get("new") or {}).get("inputs") or {})
            steps.append(Step(meta.get("op", ""), canonical_type(meta.get("type", "")), inputs))
    return steps


# -- what the emulator holds against what the stack knows ---------------------------------------------


def objects(control: ControlClient, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = control.state()["objects"].get(kind, [])
    return found


def live_installs(control: ControlClient) -> list[dict[str, Any]]:
    """Installs that exist on the emulator; an uninstall that is due but not yet read still counts as gone."""
    return [install for install in objects(control, "install") if install["status"] != "uninstalling"]


def resources(deployment: Mapping[str, Any] | None, type_: str) -> list[dict[str, Any]]:
    """The stack's resources of one type, either front's, with the dynamic front's type and property names."""
    return [
        {
            **res,
            "type": type_,
            "outputs": snake_keys(res.get("outputs") or {}),
            "inputs": snake_keys(res.get("inputs") or {}),
        }
        for res in (deployment or {}).get("resources") or []
        if canonical_type(str(res.get("type"))) == type_
    ]


@dataclass(frozen=True)
class Audit:
    duplicate_objects: int
    orphans: int
    missing: int
    details: list[str] = field(default_factory=list)


def _secret_key(account: str, livemode: bool, scope: Mapping[str, Any], name: str) -> tuple[str, bool, str, str]:
    return (account, livemode, str(scope.get("type")), f"{scope.get('user') or ''}:{name}")


def audit(
    control: ControlClient, deployment: Mapping[str, Any] | None, *, retained_versions: Iterable[str] = ()
) -> Audit:
    """Duplicates and orphans on the emulator against a stack's state.

    A duplicate object is a second upload of one app version, a second install of one app on one account
    and mode, or a second secret of one name and scope. An orphan is an upload, install or secret the stack
    does not know (`retained_versions`, `APP_ID@VERSION`, are versions a replace or destroy legitimately
    leaves in Version History). `missing` counts stack resources the emulator lacks.
    """
    keys = control.keys()
    mode_account = {"test": keys["default"]["account"], "live": keys["default"]["account"]}
    mode_account["sandbox"] = keys["sandbox"]["account"]
    uploads = [upload for upload in objects(control, "upload") if upload["status"] != "failed"]
    installs = live_installs(control)
    secrets = objects(control, "secret")
    versions = Counter(f"{upload['app_id']}@{upload['version']}" for upload in uploads)
    per_install = Counter((install["app"], install["account"], install["livemode"]) for install in installs)
    per_secret = Counter(
        _secret_key(secret["_account"], secret["livemode"], secret["scope"], secret["name"]) for secret in secrets
    )
    known_versions = {
        f"{(res.get('outputs') or {}).get('app_id')}@{(res.get('outputs') or {}).get('version')}"
        for res in resources(deployment, VERSION_TYPE)
    }
    known_installs = {stripe_install_id(res["id"]) for res in resources(deployment, INSTALL_TYPE)}
    known_secrets = set()
    for res in resources(deployment, SECRET_TYPE):
        outs = res.get("outputs") or {}
        account = mode_account.get(str(outs.get("mode")), "")
        scope = {"type": outs.get("scope") or "account", "user": outs.get("user")}
        known_secrets.add(_secret_key(account, outs.get("mode") == "live", scope, str(outs.get("name"))))
    orphan_versions = set(versions) - known_versions - set(retained_versions)
    orphan_installs = {install["id"] for install in installs} - known_installs
    orphan_secrets = set(per_secret) - known_secrets
    present_installs = {install["id"] for install in installs}
    missing = [
        *(v for v in known_versions if v not in versions),
        *(i for i in known_installs if not i.startswith("marketplace:") and i not in present_installs),
        *(str(s) for s in known_secrets if s not in per_secret),
    ]
    duplicates = [name for counter in (versions, per_install, per_secret) for name, n in counter.items() if n > 1]
    return Audit(
        duplicate_objects=sum(n - 1 for counter in (versions, per_install, per_secret) for n in counter.values()),
        orphans=len(orphan_versions) + len(orphan_installs) + len(orphan_secrets),
        missing=len(missing),
        details=[
            *(f"duplicate {name}" for name in duplicates),
            *(f"orphan upload {v}" for v in sorted(orphan_versions)),
            *(f"orphan install {i}" for i in sorted(orphan_installs)),
            *(f"orphan secret {s}" for s in sorted(orphan_secrets)),
            *(f"missing {m}" for m in missing),
        ],
    )


# -- processes the engine started ------------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    pid: int
    state: str
    command: str


def session_processes(session: int) -> list[Process]:
    """Running processes of one session (exited ones not yet reaped are left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] not in ("Z", "X"):
            found.append(Process(int(entry.name), fields[0], command[:200]))
    return found


# Pulumi's own hosts, built unchanged from its sources, which stop on their own schedule: pulumi-yaml's host asks the
# engine's health every 5 minutes and exits when it fails (`setupHealthChecks` in cmd/pulumi-language-yaml, over
# `rpcutil.Healthcheck`). They are counted apart from what this project ships and what it starts.
STOCK_HOSTS = ("pulumi-language-yaml",)


def is_stock_host(process: Process) -> bool:
    return Path(process.command.split(" ", 1)[0]).name in STOCK_HOSTS


def wait_for_exit(session: int, deadline_s: float, poll_s: float = 0.05) -> tuple[list[Process], float]:
    """Polls until no process of `session` runs, Pulumi's stock hosts aside, or the deadline passes:
    (still running, stock hosts included, seconds waited)."""
    started = time.monotonic()
    while True:
        running = session_processes(session)
        waited = time.monotonic() - started
        if not [process for process in running if not is_stock_host(process)] or waited >= deadline_s:
            return running, waited
        time.sleep(poll_s)


def kill_all(processes: Iterable[Process]) -> None:
    for process in processes:
        with contextlib.suppress(OSError):
            os.kill(process.pid, signal.SIGKILL)


def short(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit // 2] + " ... " + text[-limit // 2 :]


def timed(operation: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = operation()
    return result, time.monotonic() - started
