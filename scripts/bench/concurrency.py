"""Concurrency: an up of N installs while the emulator adds latency to every install request, at each --parallel,
on the native front (its plugin sets its own pool) and beside it the dynamic front (Pulumi's dynamic host)."""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

from scripts.bench.common import FRONTS, Report, Row, Size, log, median, timed
from scripts.bench.costs import startups
from scripts.bench.engine import MODES, Emulator, Program, Stacks, dynamic, make_apps, native, native_floor

INSTALL_ROUTES = "* /v1/apps/installs*"
TARGETS = {("native", 4): 3.5, ("native", 8): 6.0}


def _dynamic_host_workers() -> int:
    """The thread pool of Pulumi's dynamic provider host, read from the installed SDK (`pulumi/dynamic/__main__.py`)."""
    import pulumi.dynamic  # noqa: PLC0415

    source = (Path(pulumi.dynamic.__file__).parent / "__main__.py").read_text()
    found = re.search(r"ThreadPoolExecutor\(max_workers=(\d+)\)", source)
    return int(found.group(1)) if found else 0


DYNAMIC_HOST_WORKERS = _dynamic_host_workers()


def bench_concurrency(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    n = size.conc_installs
    apps = make_apps(work / "apps-conc", math.ceil(n / len(MODES)), "conc")
    programs: dict[str, tuple[Program, Program]] = {
        "dynamic": (dynamic(apps, 0), dynamic(apps, n)),
        "native": (native(apps, 0), native(apps, n)),
    }
    log(f"concurrency: {n} installs over {len(apps)} apps, {size.conc_latency_ms} ms on {INSTALL_ROUTES}")
    stacks_by_front = {front: stacks.stack(f"conc-{front}", programs[front][0]) for front in FRONTS}
    for stack in stacks_by_front.values():
        stack.up(parallel=8)
    # The engine's own fixed part: a no-op up of the same shape on the do-nothing native provider.
    floor = stacks.stack("conc-floor", native_floor(len(apps), n))
    floor.up(parallel=8)
    floor_fixed = median([timed(floor.up) for _ in range(3)])
    starts = startups(max(1, size.conc_reps))
    latency = [{"route": INSTALL_ROUTES, "kind": "latency", "probability": 1, "latency_ms": size.conc_latency_ms}]
    times = {front: {p: [] for p in size.conc_parallel} for front in FRONTS}
    fixed_runs: dict[str, list[float]] = {front: [] for front in FRONTS}
    slowed: dict[str, int] = {}
    # Forwards then backwards, each setting for both fronts in turn, so drift weighs on every cell alike.
    order = [*size.conc_parallel, *reversed(size.conc_parallel)] * math.ceil(size.conc_reps / 2)
    for parallel in order[: len(size.conc_parallel) * size.conc_reps]:
        for front in ("native", "dynamic"):
            stack = stacks_by_front[front]
            empty, full = programs[front]
            stack.workspace.program = full
            emulator.control.set_faults(seed=8, rules=latency)
            emulator.control.clear_requests()
            log(f"concurrency: {front} up of {n} installs with --parallel {parallel}")
            times[front][parallel].append(timed(functools.partial(stack.up, parallel=parallel)))
            slowed[front] = len([e for e in emulator.control.requests() if "/v1/apps/installs" in e["path"]])
            # the fixed part for this stack: the same up with nothing left to do, after every timed up
            fixed_runs[front].append(timed(functools.partial(stack.up, parallel=parallel)))
            emulator.control.clear_faults()
            stack.workspace.program = empty
            stack.up(parallel=8)
    fixed = {front: median(values) for front, values in fixed_runs.items()}
    lines = [
        f"{n} installs, {size.conc_latency_ms} ms added to every request on `{INSTALL_ROUTES}`; "
        f"{size.conc_reps} run(s) per setting and front, fronts in turn",
        "| front | --parallel | median (s) | speed-up vs 1 | net of the fixed part |",
        "|---|---|---|---|---|",
    ]
    speedups: dict[tuple[str, int], float] = {}
    for front in ("native", "dynamic"):
        base = median(times[front][1])
        for parallel, values in times[front].items():
            speedups[front, parallel] = base / median(values)
            rest = median(values) - fixed[front]
            net = f"{(base - fixed[front]) / rest:.2f}x" if rest > 0 else "- (within the fixed part's spread)"
            lines.append(f"| {front} | {parallel} | {median(values):.2f} | {speedups[front, parallel]:.2f}x | {net} |")
    for front in ("native", "dynamic"):
        serial = slowed[front] * size.conc_latency_ms / 1000
        lines.append(
            f"{front}: {slowed[front]} requests on the slowed routes, {serial:.1f} s of added latency one at a "
            f"time; the fixed part (a no-op up of the same stack after each timed up, median): {fixed[front]:.2f} s"
        )
    lines.append(
        f"the engine's own fixed part, a no-op up of the same shape on the do-nothing native provider: "
        f"{floor_fixed:.2f} s; start-up of the plugin until its port: {starts['native'][0]:.2f} s "
        f"(pulumi-resource-stripe-apps) vs {starts['native'][1]:.2f} s (pulumi-resource-noop)"
    )
    report.section("concurrency", lines)
    _rows(report, times=times, speedups=speedups, fixed=fixed, floor_fixed=floor_fixed, plugin=starts["native"])


def _rows(
    report: Report,
    *,
    times: dict[str, dict[int, list[float]]],
    speedups: dict[tuple[str, int], float],
    fixed: dict[str, float],
    floor_fixed: float,
    plugin: tuple[float, float],
) -> None:
    for front in ("native", "dynamic"):
        for parallel in (4, 8):
            speedup = speedups[front, parallel]
            target = TARGETS.get((front, parallel))
            key = f"concurrency {front}: speed-up at --parallel {parallel}"
            if target is None:
                note = (
                    f"Pulumi's dynamic provider host serves {DYNAMIC_HOST_WORKERS} calls at once whatever --parallel "
                    f"says: {speedups[front, 4]:.2f}x at 4 and {speedups[front, 8]:.2f}x at 8"
                )
                report.add(Row(key, f"{speedup:.2f}x", f"- (at most {DYNAMIC_HOST_WORKERS} calls at once)", None, note))
                continue
            met = speedup >= target
            note = ""
            if not met:
                ideal = (median(times[front][1]) - fixed[front]) / parallel + fixed[front]
                # With t1 = W + F and tp = W / p + F (W the part that divides, F the fixed part), the target r
                # needs F <= W (1 - r / p) / (r - 1).
                work = median(times[front][1]) - fixed[front]
                allowed = work * (1 - target / parallel) / (target - 1)
                note = (
                    f"an up has a part that does not run in parallel (engine start-up, the program, check and diff "
                    f"of every resource, state writes): a no-op up of the same stack took {fixed[front]:.2f} s. "
                    f"With only the rest divided by {parallel}, an up would take {ideal:.2f} s and the speed-up "
                    f"would be {median(times[front][1]) / ideal:.2f}x; it took {median(times[front][parallel]):.2f} s. "
                    f"Of that fixed part, {floor_fixed:.2f} s is the engine's own (a no-op up of the same shape on "
                    f"the do-nothing native provider) and the plugin starts in {plugin[0]:.2f} s against "
                    f"{plugin[1]:.2f} s for the do-nothing one (`native/server.py` imports the core, the "
                    "SDK's protobufs and the field tables before it prints its port). "
                    f"{target}x at --parallel {parallel} needs a fixed part of at most {allowed:.2f} s with "
                    f"{work:.2f} s that divides: "
                    + (
                        f"the engine's own, {floor_fixed:.2f} s, is more, so no provider can reach it on this engine."
                        if floor_fixed > allowed
                        else f"the engine's own is {floor_fixed:.2f} s; the rest of the fixed part is ours."
                    )
                )
            report.add(Row(key, f"{speedup:.2f}x", f">= {target}x", met, note))
