"""Where the time above the floor goes: each front's start-up next to its floor's, and the provider's own calls
timed in this process (the same objects both fronts call), so a missed overhead target names its cost."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from scripts.bench.common import median

# What each provider process imports before it can serve: the dynamic host unpickles our providers (their modules)
# or Noop's; the native plugins are started as the engine starts them.
DYNAMIC_IMPORTS = {
    "ours": "import pulumi.dynamic, pulumi_stripe_apps.resources.app_version, "
    "pulumi_stripe_apps.resources.app_installation, pulumi_stripe_apps.resources.app_secret",
    "floor": "import pulumi.dynamic, stripe_apps_devtools.noop",
}
PLUGINS = {"ours": "pulumi-resource-stripe-apps", "floor": "pulumi-resource-noop"}


def startups(reps: int) -> dict[str, tuple[float, float]]:
    """Median seconds to be ready to serve, (ours, floor), by front; ours and the floor in turn."""
    found: dict[str, tuple[list[float], list[float]]] = {"dynamic": ([], []), "native": ([], [])}
    for _ in range(reps + 1):  # the first round warms the page cache and is dropped
        for side, key in enumerate(("ours", "floor")):
            found["dynamic"][side].append(_time_import(DYNAMIC_IMPORTS[key]))
            found["native"][side].append(_time_to_port(PLUGINS[key]))
    return {front: (median(o[1:]), median(f[1:])) for front, (o, f) in found.items()}


def import_breakdown(reps: int = 3, depth: int = 2, top: int = 5) -> list[tuple[str, float]]:
    """The slowest modules (cumulative seconds, `python -X importtime`) that ours imports and the floor does not."""
    runs = [_import_times(DYNAMIC_IMPORTS["ours"], depth) for _ in range(reps)]
    floor = _import_times(DYNAMIC_IMPORTS["floor"], depth)
    names = {name for run in runs for name in run} - set(floor)
    found = {name: median([run.get(name, 0.0) for run in runs]) for name in names}
    return sorted(found.items(), key=lambda item: -item[1])[:top]


def _import_times(statement: str, depth: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True
    )
    times: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2][1:]
        if (len(name) - len(name.lstrip(" "))) // 2 <= depth:
            times[name.strip()] = int(parts[1]) / 1e6
    return times


def _time_import(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def _time_to_port(plugin: str) -> float:
    """From exec to the port on stdout: when the engine can make its first call."""
    start = time.perf_counter()
    process = subprocess.Popen([plugin], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        process.stdout.readline()
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(10)


# The first calls of a command, in a process that has loaded what the native plugin loads before it serves:
# what each resource module loads on first use (the manifest validator, the HTTP client) is timed with them.
FIRST_CALLS = """
import json, sys, time
import pulumi_stripe_apps.native.server as plugin
plugin.skip_httpx_command_line()
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from pulumi_stripe_apps.resources.app_version import AppVersionProvider
given = json.load(sys.stdin)
version, install = AppVersionProvider(), AppInstallationProvider()
for provider in (version, install):
    provider.configure_with(given["config"].get)
seconds = {}
start = time.perf_counter()
version.check({}, {"app_dir": given["app_dir"]})
seconds["AppVersion check"] = time.perf_counter() - start
start = time.perf_counter()
install.read(given["id"], given["outs"])
seconds["AppInstallation read"] = time.perf_counter() - start
json.dump(seconds, sys.stdout)
"""


def first_calls(app_dir: Path, stack: auto.Stack, config: dict[str, auto.ConfigValue]) -> dict[str, float]:
    """Seconds of the first AppVersion check and the first AppInstallation read of a fresh plugin process."""
    found = _an_install(stack)
    given = {
        "app_dir": str(app_dir),
        "config": {key: value.value for key, value in config.items()},  # on stdin: the keys stay off argv
        "id": found["id"],
        "outs": {k: v for k, v in found.get("outputs", {}).items() if not k.startswith("__")},
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CALLS], input=json.dumps(given), capture_output=True, text=True, check=True
    )
    seconds: dict[str, float] = json.loads(done.stdout)
    return seconds


def _an_install(stack: auto.Stack) -> dict[str, Any]:
    resources = stack.export_stack().deployment["resources"]
    return next(r for r in resources if r["type"].endswith(":AppInstallation"))


def provider_calls(
    app_dir: Path, stack: auto.Stack, config: dict[str, auto.ConfigValue], reps: int = 20
) -> dict[str, float]:
    """Median seconds of one call of each method a preview, refresh or no-op up makes, in this process, warm."""
    from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider  # noqa: PLC0415
    from pulumi_stripe_apps.resources.app_version import AppVersionProvider  # noqa: PLC0415

    def lookup(key: str) -> object:
        return config[key].value if key in config else None

    version, install = AppVersionProvider(), AppInstallationProvider()
    version.configure_with(lookup)
    install.configure_with(lookup)
    found = _an_install(stack)
    outs = {k: v for k, v in found.get("outputs", {}).items() if not k.startswith("__")}
    ins = {k: v for k, v in found.get("inputs", {}).items() if not k.startswith("__")}
    calls: dict[str, Callable[[], Any]] = {
        "AppVersion check (manifest validation and fingerprint)": lambda: version.check({}, {"app_dir": str(app_dir)}),
        "AppInstallation check": lambda: install.check(ins, ins),
        "AppInstallation diff": lambda: install.diff(found["id"], outs, ins),
        "AppInstallation read (one GET; Version History shared)": lambda: install.read(found["id"], outs),
    }
    costs: dict[str, float] = {}
    for name, call in calls.items():
        call()  # warm-up: imports and the first connection
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        costs[name] = median(times)
    return costs
