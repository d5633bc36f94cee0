"""Benchmarks (issue #8): the provider's cost next to the engine's floor, measured side by side in one run.

    python scripts/bench.py                 full size; writes BENCHMARKS.md
    python scripts/bench.py --size ci       small sizes (CI keeps it working; no thresholds asserted)

Run through `make bench` / `make bench-ci`, which set up the engine environment (scripts/env.sh).
The machine is shared and noisy: every figure that matters is a ratio of two things measured in turn
(A, B, A, B ...) in the same run; absolute times are printed for context only.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import functools
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
import pulumi.dynamic.dynamic  # noqa: E402
from pulumi import automation as auto  # noqa: E402

from pulumi_stripe_apps import AppInstallation, AppVersion  # noqa: E402
from stripe_apps_devtools.noop import Noop  # noqa: E402
from stripe_apps_emulator.testing import ControlClient  # noqa: E402
from tests.support.apps import set_manifest, write_app  # noqa: E402
from tests.support.engine import EngineSandbox  # noqa: E402

MODES = ("test", "sandbox", "live")
INSTALL_ROUTES = "* /v1/apps/installs*"


@dataclass(frozen=True)
class Size:
    """How big each part of the run is; `ci` keeps every row but shrinks what is behind it."""

    name: str
    versions: int
    installs: int
    reps: int
    fp_mb: tuple[int, int, int]
    fp_reps: int
    scale_installs: int
    scale_parallel: tuple[int, ...]
    scale_latency_ms: int
    scale_reps: int
    growth: tuple[int, int, int]
    growth_reps: int


SIZES = {
    "full": Size("full", 10, 100, 5, (10, 50, 100), 5, 40, (1, 2, 4, 8), 200, 2, (10, 100, 300), 3),
    "ci": Size("ci", 2, 10, 1, (2, 5, 10), 1, 8, (1, 2, 4, 8), 100, 1, (5, 10, 20), 1),
}


@dataclass
class Row:
    """One line of the results table: what, the measured value, the target, and whether it is met."""

    key: str
    value: str
    target: str
    met: bool | None
    detail: str = ""


# Every row the table prints, in order; the CI smoke test checks each appears.
ROW_KEYS = (
    "overhead: preview",
    "overhead: preview --refresh",
    "overhead: no-op up",
    "requests: create install",
    "requests: upgrade install",
    "requests: uninstall",
    "requests: refresh one install",
    "requests: no-op up (one install)",
    "requests: no-op up (whole stack)",
    "fingerprint: throughput vs sha256sum",
    "fingerprint: peak memory, largest vs smallest tree",
    "scaling: speedup at parallel 2",
    "scaling: speedup at parallel 4",
    "scaling: speedup at parallel 8",
    "growth: preview time per resource, large vs small",
    "growth: marginal time per resource, large step vs small step",
)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        assert row.key in ROW_KEYS, row.key
        self.rows.append(row)
        mark = {True: "yes", False: "NO", None: "-"}[row.met]
        print(f"| {row.key} | {row.value} | {row.target} | {mark} |", flush=True)

    def section(self, name: str, lines: list[str]) -> None:
        self.sections[name] = lines
        for line in lines:
            print(f"    {line}", flush=True)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def children_cpu() -> float:
    """CPU seconds of finished child processes: the engine and, below it, the provider processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------
# The emulator, as its own process (so it does not share a GIL with the inline programs we time)
# ---------------------------------------------------------------------------------------------------
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


@contextlib.contextmanager
def emulator_process(work: Path) -> Iterator[Emulator]:
    out = work / "emulator.out"
    with out.open("w") as sink:
        process = subprocess.Popen(
            ["stripe-apps-emulator", "serve", "--port", "0"], stdout=sink, stderr=subprocess.STDOUT
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
            yield Emulator(url, control, process.pid)
    finally:
        process.terminate()
        process.wait(10)


# ---------------------------------------------------------------------------------------------------
# Stack shapes: ours (AppVersion + AppInstallation) and the floor (Noop), same count and dependencies
# ---------------------------------------------------------------------------------------------------
def make_apps(root: Path, count: int, prefix: str) -> list[Path]:
    return [write_app(root / f"{prefix}{i}", app_id=f"com.bench.{prefix}{i}", sandbox=True) for i in range(count)]


def ours(apps: list[Path], installs: int) -> Callable[[], None]:
    """`installs` installs spread over the apps and the three modes (app i%n, then test/sandbox/live).

    Stripe keeps one install per account, mode and app, so with more than 3 installs per app several
    resources share one Stripe install; each still makes its own calls, which is what is measured.
    """

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

    return program


def floor(versions: int, installs: int) -> Callable[[], None]:
    def program() -> None:
        parents = [Noop(f"v{i}", label=f"v{i}") for i in range(versions)]
        for j in range(installs):
            parent = parents[j % versions]
            Noop(f"i{j}", label=parent.label.apply(functools.partial(_child_label, j)))

    return program


def _child_label(j: int, label: str) -> str:
    return f"{label}-i{j}"


class Stacks:
    """Inline stacks on one private file backend, all pointing at the emulator."""

    def __init__(self, work: Path, emulator: Emulator) -> None:
        self.sandbox = EngineSandbox(work / "engine")
        self.config = emulator.config()

    def stack(self, name: str, program: Callable[[], None]) -> auto.Stack:
        return self.sandbox.inline_stack(program, project=name, stack="bench", config=self.config)


def split(total: int) -> tuple[int, int]:
    """A total resource count as (versions, installs), one version per ten resources."""
    versions = max(1, total // 10)
    return versions, total - versions


# ---------------------------------------------------------------------------------------------------
# 1. Provider overhead
# ---------------------------------------------------------------------------------------------------
def bench_overhead(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    log(f"overhead: {size.versions} versions + {size.installs} installs vs the same shape of Noop")
    apps = make_apps(work / "apps-overhead", size.versions, "over")
    a = stacks.stack("overhead-ours", ours(apps, size.installs))
    b = stacks.stack("overhead-floor", floor(size.versions, size.installs))
    a.up(parallel=8)
    b.up(parallel=8)
    ops: dict[str, Callable[[auto.Stack], object]] = {
        "preview": lambda s: s.preview(),
        "preview --refresh": lambda s: s.preview(refresh=True),
        "no-op up": lambda s: s.up(),
    }
    times: dict[str, tuple[list[float], list[float]]] = {op: ([], []) for op in ops}
    # engine + provider CPU of ours, of the floor; the emulator's CPU while ours ran, while the floor ran
    cpus: dict[str, tuple[list[float], ...]] = {op: ([], [], [], []) for op in ops}
    for op, run in ops.items():
        if size.reps > 1:  # warm-up: the first call of each kind pays for cold caches
            run(a)
            run(b)
        for rep in range(size.reps):
            log(f"overhead: {op} {rep + 1}/{size.reps}")
            for side, stack in enumerate((a, b)):
                cpu, served = children_cpu(), emulator.cpu_seconds()
                times[op][side].append(timed(functools.partial(run, stack)))
                cpus[op][side].append(children_cpu() - cpu)
                cpus[op][2 + side].append(emulator.cpu_seconds() - served)
    emulator.control.clear_requests()
    a.up()
    whole_stack_requests = len([e for e in emulator.control.requests() if not e["path"].startswith("/_emulator")])
    lines = [
        f"stack: {size.versions} AppVersion + {size.installs} AppInstallation vs "
        f"{size.versions + size.installs} Noop; {size.reps} interleaved runs each"
        + (" after one warm-up" if size.reps > 1 else ""),
        "| operation | ours median (s) | floor median (s) | ratio of medians | median of pair ratios "
        "| engine+provider CPU ours / floor (s) | emulator CPU during ours (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for op, (ours_t, floor_t) in times.items():
        pairs = [x / y for x, y in zip(ours_t, floor_t, strict=True)]
        ratio = median(pairs)
        cpu_med = [median(values) for values in cpus[op]]
        lines.append(
            f"| {op} | {median(ours_t):.2f} | {median(floor_t):.2f} | "
            f"{median(ours_t) / median(floor_t):.2f}x | {ratio:.2f}x | "
            f"{cpu_med[0]:.2f} / {cpu_med[1]:.2f} | {cpu_med[2]:.2f} |"
        )
        report.add(Row(f"overhead: {op}", f"{ratio:.2f}x", "<= 1.2x", ratio <= 1.2))
    report.section("overhead", lines)
    report.add(
        Row(
            "requests: no-op up (whole stack)",
            str(whole_stack_requests),
            "0",
            whole_stack_requests == 0,
        )
    )


# ---------------------------------------------------------------------------------------------------
# 2. Requests per operation
# ---------------------------------------------------------------------------------------------------
_ID = re.compile(r"/(appinst_test_|appinst_|app_|upload_|apupl_)[A-Za-z0-9]+")

MINIMUMS: dict[str, tuple[int, str]] = {
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
}


def shape(entries: list[dict[str, Any]]) -> str:
    return ", ".join(f"{e['method']} {_ID.sub(lambda m: '/' + m.group(1) + '*', e['path'])}" for e in entries)


def bench_requests(report: Report, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    log("requests: one install, each operation on its own, counted from the emulator's request log")
    control = emulator.control
    app_dir = write_app(work / "apps-requests" / "req", app_id="com.bench.req", sandbox=True)
    versions = stacks.stack(
        "requests-versions", lambda: pulumi.export("app", AppVersion("req", app_dir=str(app_dir)).app)
    )
    app = str(versions.up().outputs["app"].value)

    def installs(version: str | None) -> Callable[[], None]:
        def program() -> None:
            if version is not None:
                AppInstallation("one", app=app, version=version, mode="test")

        return program

    stack = stacks.stack("requests-installs", installs("1.0.0"))
    counted: dict[str, list[dict[str, Any]]] = {}

    def count(op: str, run: Callable[[], object]) -> None:
        control.clear_requests()
        run()
        counted[op] = [e for e in control.requests() if not e["path"].startswith("/_emulator")]

    count("create install", stack.up)
    count("no-op up (one install)", stack.up)
    count("refresh one install", stack.refresh)
    set_manifest(app_dir, version="2.0.0")
    versions.up()
    stack.workspace.program = installs("2.0.0")
    count("upgrade install", stack.up)
    stack.workspace.program = installs(None)
    count("uninstall", stack.up)
    lines = ["| operation | requests | minimum | what was sent |", "|---|---|---|---|"]
    for op, (minimum, _why) in MINIMUMS.items():
        made = counted[op]
        lines.append(f"| {op} | {len(made)} | {minimum} | {shape(made) or '-'} |")
        report.add(Row(f"requests: {op}", str(len(made)), f"= {minimum}", len(made) == minimum))
    lines += ["", "Why each minimum:"] + [f"- {op}: {why}" for op, (_n, why) in MINIMUMS.items()]
    report.section("requests", lines)


# ---------------------------------------------------------------------------------------------------
# 3. Fingerprinting
# ---------------------------------------------------------------------------------------------------
def grow_tree(root: Path, target_mb: int, rng: random.Random) -> tuple[int, int]:
    """Adds files (1 KiB .. 160 KiB, in nested dirs) until the tree holds `target_mb` MiB."""
    if not (root / "stripe-app.json").exists():
        write_app(root, app_id="com.bench.fingerprint")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    count = len(files)
    while total < target_mb << 20:
        n = min(rng.randint(1 << 10, 160 << 10), (target_mb << 20) - total)
        path = root / "dist" / f"d{count % 37:02d}" / f"e{count % 5}" / f"chunk{count:05d}.js"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(n))
        total, count = total + n, count + 1
    return count, total


# In a fresh process that imports only the fingerprint module: time fingerprint(), then measure its
# traced peak, then report the process's max RSS.
FP_WORKER = """
import json, resource, sys, time, tracemalloc
from pathlib import Path
from pulumi_stripe_apps.fingerprint import fingerprint
start = time.perf_counter()
result = fingerprint(Path(sys.argv[1]))
elapsed = time.perf_counter() - start
tracemalloc.start()
fingerprint(Path(sys.argv[1]))
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "bytes": result.total_bytes, "traced": traced, "rss_kib": rss}))
"""


def run_fingerprint(app_dir: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", FP_WORKER, str(app_dir)], capture_output=True, text=True, check=True)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def run_sha256sum(app_dir: Path) -> float:
    command = f"find {app_dir} -type f -print0 | xargs -0 sha256sum > /dev/null"
    return timed(lambda: subprocess.run(["sh", "-c", command], check=True))


def bench_fingerprint(report: Report, size: Size, work: Path) -> None:
    root = work / "fp-app"
    rng = random.Random(8)
    lines = [
        "| tree | files | ours median (s) | sha256sum median (s) | throughput ours/sha256sum | "
        "peak RSS (MiB) | traced peak (KiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    rss: list[float] = []
    ratio = math.nan
    for mb in size.fp_mb:
        count, total = grow_tree(root, mb, rng)
        log(f"fingerprint: {mb} MiB in {count} files")
        run_fingerprint(root)  # warm-up: both read from the page cache afterwards
        run_sha256sum(root)
        ours_t: list[float] = []
        sums_t: list[float] = []
        last: dict[str, float] = {}
        for _ in range(size.fp_reps):
            last = run_fingerprint(root)
            ours_t.append(last["seconds"])
            sums_t.append(run_sha256sum(root))
        # Throughput ratio: bytes per second of ours over sha256sum's, i.e. their time over ours.
        ratio = median([s / o for o, s in zip(ours_t, sums_t, strict=True)])
        rss.append(last["rss_kib"] / 1024)
        lines.append(
            f"| {total / (1 << 20):.0f} MiB | {count} | {median(ours_t):.3f} | {median(sums_t):.3f} | "
            f"{ratio:.2f}x | {rss[-1]:.1f} | {last['traced'] / 1024:.0f} |"
        )
    report.add(Row("fingerprint: throughput vs sha256sum", f"{ratio:.2f}x", ">= 0.8x", ratio >= 0.8))
    growth = rss[-1] / rss[0]
    report.add(
        Row(
            "fingerprint: peak memory, largest vs smallest tree",
            f"{growth:.2f}x ({rss[0]:.0f} -> {rss[-1]:.0f} MiB)",
            "flat (<= 1.1x)",
            growth <= 1.1,
        )
    )
    lines.append(
        "ours: fingerprint() timed inside a fresh process (interpreter start-up excluded); sha256sum: "
        "`find DIR -type f -print0 | xargs -0 sha256sum` timed as a whole; both after a warm-up read, so "
        "both hash from the page cache. Peak RSS is the whole worker process (interpreter included)."
    )
    report.section("fingerprint", lines)


# ---------------------------------------------------------------------------------------------------
# 4. Scaling with --parallel while the emulator adds latency to install routes
# ---------------------------------------------------------------------------------------------------
def bench_scaling(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    n = size.scale_installs
    apps = make_apps(work / "apps-scaling", math.ceil(n / len(MODES)), "scale")
    log(f"scaling: {n} installs over {len(apps)} apps, {size.scale_latency_ms} ms on {INSTALL_ROUTES}")
    stack = stacks.stack("scaling", ours(apps, 0))
    stack.up(parallel=8)
    latency = [{"route": INSTALL_ROUTES, "kind": "latency", "probability": 1, "latency_ms": size.scale_latency_ms}]
    times: dict[int, list[float]] = {p: [] for p in size.scale_parallel}
    fixed: list[float] = []
    # Forwards then backwards, so a drifting machine speed weighs on every setting alike.
    order = [*size.scale_parallel, *reversed(size.scale_parallel)] * math.ceil(size.scale_reps / 2)
    for parallel in order[: len(size.scale_parallel) * size.scale_reps]:
        stack.workspace.program = ours(apps, n)
        emulator.control.set_faults(seed=8, rules=latency)
        log(f"scaling: up of {n} installs with --parallel {parallel}")
        times[parallel].append(timed(functools.partial(stack.up, parallel=parallel)))
        if not fixed:  # the engine's fixed cost for this stack: the same up with nothing left to do
            fixed.append(timed(functools.partial(stack.up, parallel=parallel)))
        emulator.control.clear_faults()
        stack.workspace.program = ours(apps, 0)
        stack.up(parallel=8)
    lines = [
        f"{n} installs (each: POST + GET on the slowed routes, GET of Version History), "
        f"{size.scale_latency_ms} ms added to every install request; {size.scale_reps} run(s) per setting",
        "| --parallel | median (s) | speedup vs 1 |",
        "|---|---|---|",
    ]
    base = median(times[1])
    for parallel, values in times.items():
        lines.append(f"| {parallel} | {median(values):.2f} | {base / median(values):.2f}x |")
    serial_floor = n * 2 * size.scale_latency_ms / 1000
    lines.append(f"latency alone, one at a time: {serial_floor:.1f} s; four at a time: {serial_floor / 4:.1f} s")
    net = [(median(times[1]) - fixed[0]) / (median(times[p]) - fixed[0]) for p in (2, 4, 8)]
    lines.append(
        f"the engine's fixed cost (a no-op up of the same stack): {fixed[0]:.2f} s; net of it, the speedup is "
        + ", ".join(f"{x:.2f}x at {p}" for x, p in zip(net, (2, 4, 8), strict=True))
    )
    report.section("scaling", lines)
    for parallel in (2, 4, 8):
        speedup = base / median(times[parallel])
        if parallel == 4:
            report.add(Row("scaling: speedup at parallel 4", f"{speedup:.2f}x", ">= 3x", speedup >= 3.0))
            continue
        target = "- (about 2x)" if parallel == 2 else "- (about as at 4: the provider serves 4 calls at once)"
        report.add(Row(f"scaling: speedup at parallel {parallel}", f"{speedup:.2f}x", target, None))


# ---------------------------------------------------------------------------------------------------
# 5. Growth of preview time with the stack's size
# ---------------------------------------------------------------------------------------------------
def bench_growth(report: Report, size: Size, work: Path, stacks: Stacks) -> None:
    lines = [
        "| resources | ours median (s) | floor median (s) | ours per resource (ms) | floor per resource (ms) |",
        "|---|---|---|---|---|",
    ]
    ours_med: list[float] = []
    floor_med: list[float] = []
    for total in size.growth:
        versions, installs = split(total)
        log(f"growth: {total} resources ({versions} versions + {installs} installs)")
        apps = make_apps(work / f"apps-growth-{total}", versions, f"g{total}x")
        a = stacks.stack(f"growth-{total}-ours", ours(apps, installs))
        b = stacks.stack(f"growth-{total}-floor", floor(versions, installs))
        a.up(parallel=8)
        b.up(parallel=8)
        if size.growth_reps > 1:
            a.preview()
            b.preview()
        ta: list[float] = []
        tb: list[float] = []
        for _ in range(size.growth_reps):
            ta.append(timed(a.preview))
            tb.append(timed(b.preview))
        ours_med.append(median(ta))
        floor_med.append(median(tb))
        lines.append(
            f"| {total} | {ours_med[-1]:.2f} | {floor_med[-1]:.2f} | {1000 * ours_med[-1] / total:.1f} | "
            f"{1000 * floor_med[-1] / total:.1f} |"
        )
    small, mid, large = size.growth
    per_small, per_large = ours_med[0] / small, ours_med[2] / large
    step_small = (ours_med[1] - ours_med[0]) / (mid - small)
    step_large = (ours_med[2] - ours_med[1]) / (large - mid)
    lines.append(
        f"marginal cost: {1000 * step_small:.1f} ms per resource from {small} to {mid}, "
        f"{1000 * step_large:.1f} ms from {mid} to {large} (linear growth keeps these equal)"
    )
    report.section("growth", lines)
    report.add(
        Row(
            "growth: preview time per resource, large vs small",
            f"{per_large / per_small:.2f}x",
            "- (fixed cost amortized)",
            None,
        )
    )
    marginal = step_large / step_small
    report.add(
        Row(
            "growth: marginal time per resource, large step vs small step",
            f"{marginal:.2f}x",
            "<= 1.2x (linear)",
            marginal <= 1.2,
        )
    )


# ---------------------------------------------------------------------------------------------------
# The run and BENCHMARKS.md
# ---------------------------------------------------------------------------------------------------
def machine_facts() -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pulumi_version = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=False).stdout.strip()
    return [
        f"- nproc: {os.cpu_count()}",
        f"- CPU: {cpu}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python: {platform.python_version()}",
        f"- Pulumi CLI: {pulumi_version}; Python SDK: {_dist_version('pulumi')}",
        f"- sha256sum: {_first_line(['sha256sum', '--version'])}",
    ]


def _dist_version(name: str) -> str:
    from importlib.metadata import version  # noqa: PLC0415

    return version(name)


def _first_line(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout.splitlines() or ["unknown"])[0]


def table(rows: list[Row]) -> list[str]:
    lines = ["| measure | value | target | met |", "|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row.key} | {row.value} | {row.target} | {dict([(True, 'yes'), (False, 'NO'), (None, '-')])[row.met]} |"
        )
    return lines


# Why a target is missed and what would close it, by row; written from the last full run's figures.
# `python scripts/bench.py --render .state/bench/results-full.json` rewrites BENCHMARKS.md with them.
NOTES: dict[str, str] = {
    "overhead: preview": (
        "within the run-to-run spread of this shared machine (about 0.1 between full runs), but above the target "
        "in this run. The gap is ours: AppVersion's check validates each manifest and fingerprints each app, both "
        "processes import the manifest models (pydantic), and each install carries 15 properties against one. "
        "What would close it: loading the manifest models only in the provider process (the program never "
        "validates), and fewer stored properties per install."
    ),
    "overhead: preview --refresh": (
        "a refresh reads every resource from the API where the floor's read makes none: one GET per install and "
        "one Version History read per app (shared by the installs of one refresh), 110 requests in all. The CPU "
        "columns of section 1 place the gap in the engine and provider processes, not the emulator: each read "
        "goes through the official SDK's request pipeline and object conversion. What would close it: a leaner "
        "read path than the SDK (a plain GET into a tolerant model), at the price of the SDK's retry and error "
        "handling that the install calls are meant to share; the request count is already the API's minimum."
    ),
    "growth: marginal time per resource, large step vs small step": (
        "noise: the same row read 0.82x and 0.32x in other full runs the same day; three runs per size are too "
        "few for a stable marginal cost. Preview time per resource falls as the stack grows."
    ),
    "scaling: speedup at parallel 4": (
        "an up has a part that does not run in parallel: engine start-up, planning every resource, and the state "
        "writes. Net of that fixed cost the install work speeds up by more than 3x at 4, and 8 is no faster than "
        "4 because Pulumi's dynamic provider host serves at most 4 calls at once. Nothing in the provider would "
        "close it; with more installs or slower calls the fixed part weighs less."
    ),
}
GENERAL_NOTES: list[str] = [
    "Shapes: the 100 installs are spread over the 10 apps and the three modes (test, sandbox, live). Stripe keeps "
    "one install per account, mode and app, so they map onto 30 Stripe installs; each resource still makes its "
    "own calls, which is what is measured. The floor is 110 `Noop` resources with the same dependencies "
    "(each install-like `Noop` takes its input from a version-like one).",
    "The floor loads none of our API code: `pulumi_stripe_apps` loads its resources lazily, and the resources "
    "load the Stripe SDK and httpx only when a call is made, so `Noop`'s processes import Pulumi and little "
    "else, and neither side of a plain preview loads the SDK.",
    "The emulator runs as its own process (rate limits off) on the same 2 cores, so its CPU competes with the "
    "engine's. Requests are counted from its request log, control-plane calls excluded.",
    "Pulumi's Python SDK (3.x, `pulumi.dynamic.dynamic.serialize_provider`) wraps pickle's `_batch_setitems` "
    "once more for every dynamic resource it serializes and never unwraps it; the package undoes it after each "
    "of its resources (`resources/base.py`, `restore_pickler`) and its providers pickle as their class alone, "
    "so this run uses the package as users install it.",
    "Fingerprinting is faster than `sha256sum` because Python's hashlib hashes with OpenSSL 3 (SHA-NI "
    "instructions on this CPU), while coreutils' `sha256sum` uses its own portable C code. Memory stays flat "
    "because files are read in 1 MiB chunks; only the sorted list of paths grows.",
    "Scaling rows at 2 and 8 carry no target of their own: 2 should be about half of 1, and 8 the same as 4.",
    "Run-to-run spread: the pairwise medians move by about 0.1 between full runs on this shared machine.",
    "Changes made for these targets, in order: `AppInstallation.update` reads the install only for the live "
    "permission gate (an upgrade outside live went from 4 requests to 3); `StripeHttp` builds its TLS context "
    "once per process; one SDK client per key for the provider process's lifetime (a read no longer builds "
    "a client and a connection); the SDK and httpx load only when a call is made; the reads of one refresh "
    "share each app's Version History (refresh: 210 -> 110 requests); and the emulator's listening socket "
    "names TCP, so asyncio turns Nagle's algorithm off: every request on a kept-alive connection had waited "
    "about 40 ms for a delayed ACK (44 ms -> 1 ms per request), which had inflated every figure with requests.",
]


def _blocks(body: list[str]) -> list[str]:
    """A blank line wherever text meets a table, so Markdown renders the tables."""
    out: list[str] = []
    for line in body:
        if out and out[-1] and line and out[-1].startswith("|") != line.startswith("|"):
            out.append("")
        out.append(line)
    return out


def write_markdown(path: Path, results: dict[str, Any]) -> None:
    size = SIZES[results["size"]]
    command = "make bench" if size.name == "full" else "make bench-ci"
    rows = [Row(**row) for row in results["rows"]]
    lines = [
        "# Benchmarks",
        "",
        "The provider's cost next to the engine's floor (issue #8), measured side by side in one run. The machine is",
        "shared and noisy: compare the ratios, not the absolute seconds.",
        "",
        f"- command: `{command}` (`python scripts/bench.py --size {size.name}`), {results['seconds'] / 60:.1f} minutes",
        f"- date: {results['started']}",
        *results["machine"],
        "",
        "## Results",
        "",
        *table(rows),
    ]
    titles = {
        "overhead": "1. Provider overhead (ours vs a do-nothing dynamic provider)",
        "requests": "2. Requests per operation",
        "fingerprint": "3. Fingerprinting",
        "scaling": "4. Scaling with --parallel",
        "growth": "5. Growth of preview time",
    }
    for name, title in titles.items():
        if name in results["sections"]:
            lines += ["", f"## {title}", "", *_blocks(results["sections"][name])]
    missed = [row for row in rows if row.met is False]
    lines += ["", "## Notes", ""]
    for row in missed:
        lines.append(f"- **{row.key}** ({row.value}, target {row.target}): {NOTES.get(row.key, 'not explained yet.')}")
    if not missed:
        lines.append("- Every target with a threshold was met in this run.")
    lines += [f"- {note}" for note in GENERAL_NOTES]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", type=Path, help="where to write the report (default: BENCHMARKS.md for full)")
    parser.add_argument("--only", action="append", choices=["overhead", "requests", "fingerprint", "scaling", "growth"])
    parser.add_argument("--render", type=Path, help="write the report from a saved results file; measure nothing")
    args = parser.parse_args(argv)
    if args.render is not None:
        results = json.loads(args.render.read_text())
        out = args.out or (ROOT / "BENCHMARKS.md")
        write_markdown(out, results)
        log(f"wrote {out}")
        return 0
    size = SIZES[args.size]
    out = args.out or (ROOT / "BENCHMARKS.md" if size.name == "full" else None)
    parts = args.only or ["overhead", "requests", "fingerprint", "scaling", "growth"]
    started = datetime.datetime.now().astimezone()
    begin = time.monotonic()
    report = Report()
    print("| measure | value | target | met |\n|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="stripe-apps-bench-") as tmp:
        work = Path(tmp)
        if "fingerprint" in parts:
            bench_fingerprint(report, size, work)
            shutil.rmtree(work / "fp-app")
        with emulator_process(work) as emulator:
            stacks = Stacks(work, emulator)
            if "requests" in parts:
                bench_requests(report, work, stacks, emulator)
            if "overhead" in parts:
                bench_overhead(report, size, work, stacks, emulator)
            if "scaling" in parts:
                bench_scaling(report, size, work, stacks, emulator)
            if "growth" in parts:
                bench_growth(report, size, work, stacks)
    report.rows.sort(key=lambda row: ROW_KEYS.index(row.key))
    print("\n" + "\n".join(table(report.rows)), flush=True)
    results = {
        "size": size.name,
        "started": started.isoformat(timespec="seconds"),
        "seconds": time.monotonic() - begin,
        "machine": machine_facts(),
        "rows": [dataclasses.asdict(row) for row in report.rows],
        "sections": report.sections,
    }
    saved = Path(os.environ.get("STRIPE_APPS_STATE", ROOT / ".state")) / "bench" / f"results-{size.name}.json"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(results, indent=2))
    log(f"saved {saved}")
    if out is not None:
        write_markdown(out, results)
        log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
