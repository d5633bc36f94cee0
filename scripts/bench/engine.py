"""The emulator as its own process, inline stacks on a private backend, and the programs they run.

Each program has a twin of the same shape on the engine's floor: `Noop` (a do-nothing dynamic resource) for the
dynamic front, `noop:index:Thing` (a do-nothing native provider, `pulumi-resource-noop`) for the native front.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppSecret, AppVersion
from pulumi_stripe_apps.native.marshal import SECRET_SIG, SIG_KEY
from pulumi_stripe_apps.schema import fields_of
from scripts.bench.common import log
from stripe_apps_devtools.noop import Noop
from stripe_apps_emulator.testing import ControlClient
from tests.support.apps import write_app
from tests.support.native import MODULES, declared_options, resource

ROOT = Path(__file__).resolve().parents[2]
MODES = ("test", "sandbox", "live")
# A file backend writes the whole state after every step, so without this an up or refresh of n resources writes
# n states of up to n resources: the engine's quadratic cost, the same for any provider, that Pulumi's setting for
# large stacks turns off (one write at the end). What is left is what each resource costs.
LARGE_STACK_ENV = {"PULUMI_SKIP_CHECKPOINTS": "true"}
Program = Callable[[], None]


# Said under every table of times.
CLOCK_NOTE = (
    "times are of the engine command alone (`pulumi up`, `preview` or `refresh`), as a user waits for it: the "
    "Automation API's `stack output` and `stack history` after an up or refresh are left out, on both sides"
)
# The commands a user waits for; the Automation API runs others around them to build its results.
ENGINE_COMMANDS = frozenset({"up", "preview", "refresh", "destroy"})


def planned_nothing(stack: auto.Stack) -> auto.Stack:
    """`stack`, after a preview that plans no change: what the no-op rows time must be a no-op on either side (a
    floor whose Diff saw a change would time updates against ours' no-op)."""
    planned = {op: count for op, count in stack.preview().change_summary.items() if op != "same" and count}
    if planned:
        raise RuntimeError(f"{stack.workspace.project_settings().name}: a preview after its up plans {planned}")
    return stack


def command_seconds(stack: auto.Stack, call: Callable[[], object]) -> float:
    """Seconds of the one engine command `call` runs on `stack`, as a user waits for `pulumi up`.

    The Automation API's `up` and `refresh` also run `pulumi stack output` and `pulumi stack history` after the
    command, to build their results (about 0.5 s together on this machine); a user's `pulumi up` does not, and
    the rate floor of a rollout does not overlap them, so the clock leaves them out, on both sides of a ratio.
    """
    command = stack.workspace.pulumi_command
    original = command.run
    spent: list[float] = []

    def run(args: list[str], *rest: Any, **options: Any) -> auto.CommandResult:
        engine = bool(args) and args[0] in ENGINE_COMMANDS  # before the call: it puts its own flags in front
        start = time.perf_counter()
        try:
            return original(args, *rest, **options)
        finally:
            if engine:
                spent.append(time.perf_counter() - start)

    command.run = run  # type: ignore[method-assign]
    try:
        call()
    finally:
        del command.run
    if len(spent) != 1:
        raise RuntimeError(f"expected one engine command, timed {len(spent)}")
    return spent[0]


def put_noop_plugin_on_path() -> None:
    """The engine finds `pulumi-resource-noop` (devtools/bin) on PATH; the stacks inherit this environment."""
    launcher = ROOT / "devtools" / "bin"
    os.environ["PATH"] = f"{launcher}{os.pathsep}{os.environ['PATH']}"


@dataclass(frozen=True)
class Emulator:
    url: str
    control: ControlClient
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU the emulator process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def config(self) -> dict[str, auto.ConfigValue]:
        keys = self.control.keys()
        return {
            "stripe-apps:apiBase": auto.ConfigValue(self.url),
            "stripe-apps:testApiKey": auto.ConfigValue(keys["default"]["test"], secret=True),
            "stripe-apps:sandboxApiKey": auto.ConfigValue(keys["sandbox"]["test"], secret=True),
            "stripe-apps:liveApiKey": auto.ConfigValue(keys["default"]["live"], secret=True),
        }

    def api_requests(self) -> int:
        """Requests in the emulator's log since it was last cleared, control-plane calls excluded."""
        return len([e for e in self.control.requests() if not e["path"].startswith("/_emulator")])


@contextlib.contextmanager
def emulator_process(work: Path) -> Iterator[Emulator]:
    """Its own process (no GIL shared with the inline programs timed), rate limits off, transitions immediate."""
    out = work / "emulator.out"
    with out.open("w") as sink:
        process = subprocess.Popen(
            ["stripe-apps-emulator", "serve", "--port", "0", "--no-rate-limit"], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        url = ""
        while not url.startswith("http"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start: {out.read_text()}")
            time.sleep(0.05)
            url = (out.read_text().splitlines() or [""])[0]
        with ControlClient(url) as control:
            control.rate_limits(enabled=False)
            control.transitions(install="immediate", uninstall="immediate", upload="immediate")
            yield Emulator(url, control, process.pid)
    finally:
        process.terminate()
        process.wait(10)


class Stacks:
    """Inline stacks on one private file backend, all pointing at one emulator."""

    def __init__(self, work: Path, config: dict[str, auto.ConfigValue], env: dict[str, str] | None = None) -> None:
        from tests.support.engine import EngineSandbox  # noqa: PLC0415

        self.sandbox = EngineSandbox(work / "engine")
        self.config = config
        self.env = env or {}

    def stack(self, name: str, program: Program) -> auto.Stack:
        return self.sandbox.inline_stack(program, project=name, stack="bench", config=self.config, env=self.env)


def write_yaml_program(project: Path, name: str, resources: dict[str, Any]) -> None:
    """A YAML program in `project`, written as JSON (which YAML reads as it is: no quoting rules to mind)."""
    project.mkdir(parents=True, exist_ok=True)
    program = {"name": name, "runtime": "yaml", "resources": resources}
    (project / "Pulumi.yaml").write_text(json.dumps(program, indent=1) + "\n")


def make_apps(root: Path, count: int, prefix: str) -> list[Path]:
    log(f"writing {count} app(s) under {root.name}")
    return [write_app(root / f"{prefix}{i}", app_id=f"com.bench.{prefix}{i}", sandbox=True) for i in range(count)]


# ---------------------------------------------------------------------------------------------------
# Programs. Installs are spread over the apps, then the three modes (app j % n, mode (j // n) % 3):
# Stripe keeps one install per account, mode and app, so with more than 3 installs per app several
# resources share one Stripe install; each still makes its own calls, which is what is measured.
# ---------------------------------------------------------------------------------------------------
def dynamic(apps: list[Path], installs: int, secrets: int = 0, tag: str = "") -> Program:
    """`tag` keeps the secrets of one program apart from another's on the same emulator."""

    def program() -> None:
        versions = [AppVersion(f"v{i}", app_dir=str(path)) for i, path in enumerate(apps)]
        for j in range(installs):
            version = versions[j % len(versions)]
            AppInstallation(
                f"i{j}",
                app=version.app,
                version=version.version,
                mode=MODES[(j // len(versions)) % len(MODES)],
                sandbox_install_compatible=version.sandbox_install_compatible,
            )
        for k in range(secrets):
            # A scope holds at most 10 secrets per mode: one Dashboard user per ten secrets.
            AppSecret(
                f"s{k}",
                name=f"key{k % 10}",
                scope="user",
                user=f"usr_bench{tag}x{k // 10:04d}",
                mode=MODES[k % len(MODES)],
                payload=f"secret-{k}",
            )

    return program


def native(apps: list[Path], installs: int) -> Program:
    """The same shape through `pulumi-resource-stripe-apps`, as the generated SDKs of other languages declare it."""

    def program() -> None:
        versions = [resource("AppVersion", f"v{i}", app_dir=str(path)) for i, path in enumerate(apps)]
        for j in range(installs):
            version = versions[j % len(versions)]
            resource(
                "AppInstallation",
                f"i{j}",
                app=version.app,  # type: ignore[attr-defined]
                version=version.version,  # type: ignore[attr-defined]
                mode=MODES[(j // len(versions)) % len(MODES)],
                sandbox_install_compatible=version.sandboxInstallCompatible,  # type: ignore[attr-defined]
            )

    return program


# What our resources recorded, by resource name: the floor declares the same properties with the same values.
Shapes = dict[str, dict[str, Any]]
# The secret outputs each dynamic resource declares (`additional_secret_outputs`): its floor declares them too.
SECRETS = {
    kind: pulumi.ResourceOptions(additional_secret_outputs=[field.name for field in fields_of(module) if field.secret])
    for kind, module in MODULES.items()
}
# The version outputs an install takes (its dependency edge), by front.
LINKED = {
    "dynamic": ("app", "version", "sandbox_install_compatible"),
    "native": ("app", "version", "sandboxInstallCompatible"),
}


def recorded_shapes(stack: auto.Stack) -> Shapes:
    """Each resource's recorded outputs, secrets as placeholders of the same length and engine keys left out."""
    shapes: Shapes = {}
    for state in stack.export_stack().deployment.get("resources", []):
        if state.get("custom") and not state["type"].startswith("pulumi:providers:"):
            outputs = state.get("outputs", {})
            shapes[state["urn"].rsplit("::", 1)[1]] = {
                key: _plain(value) for key, value in outputs.items() if not key.startswith("__")
            }
    return shapes


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return "x" * len(str(value.get("ciphertext", value.get("plaintext", ""))))
    return value


def dynamic_floor(versions: int, installs: int, shapes: Shapes, secrets: int = 0) -> Program:
    """Do-nothing resources of the same shapes as `dynamic(...)`'s: the same properties and dependencies."""

    def program() -> None:
        parents = [Noop(f"v{i}", label=f"v{i}", opts=SECRETS["AppVersion"], **shapes[f"v{i}"]) for i in range(versions)]
        for j in range(installs):
            parent = parents[j % versions]
            linked = {key: getattr(parent, key) for key in LINKED["dynamic"]}
            Noop(f"i{j}", label=f"i{j}", opts=SECRETS["AppInstallation"], **{**shapes[f"i{j}"], **linked})
        for k in range(secrets):
            Noop(f"s{k}", label=f"s{k}", opts=SECRETS["AppSecret"], **shapes[f"s{k}"])

    return program


def native_floor(versions: int, installs: int, shapes: Shapes, *, declared: bool = True) -> Program:
    """`noop:index:Thing`s of the same shapes as `native(...)`'s, and with `declared` the same options."""

    def program() -> None:
        parents = [_thing(f"v{i}", shapes[f"v{i}"], "AppVersion", declared) for i in range(versions)]
        for j in range(installs):
            linked = {key: getattr(parents[j % versions], key) for key in LINKED["native"]}
            _thing(f"i{j}", {**shapes[f"i{j}"], **linked}, "AppInstallation", declared)

    return program


def _thing(name: str, props: dict[str, Any], kind: str, declared: bool) -> pulumi.CustomResource:
    """A thing declaring what ours declared as `kind` under `name`; with `declared`, the options ours declares too (the
    schema's alias, its secret outputs): what they cost is the engine's and the SDK's, paid on both sides alike."""
    options = declared_options(kind) if declared else None
    return pulumi.CustomResource("noop:index:Thing", name, {**props, "label": name}, options)
