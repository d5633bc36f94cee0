"""Overhead: each front next to its floor (a do-nothing provider of the same front), same engine, same shapes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from pulumi import automation as auto

from scripts.bench.common import FRONTS, OVERHEAD_OPS, Report, Row, Size, children_cpu, log, median, timed
from scripts.bench.engine import Emulator, Stacks, dynamic, dynamic_floor, make_apps, native, native_floor

TARGETS = {"preview": 1.1, "preview --refresh": 1.2, "no-op up": 1.1}
RUN: dict[str, Callable[[auto.Stack], object]] = {
    "preview": lambda s: s.preview(),
    "preview --refresh": lambda s: s.preview(refresh=True),
    "no-op up": lambda s: s.up(),
}
# Where a front's cost above its floor comes from, by operation (no figures: those come from the run).
CAUSES = {
    "preview": "AppVersion's check validates each manifest and fingerprints each app directory "
    "(`resources/app_version.py`, check), and each install carries its whole field table against the floor's one "
    "property",
    "preview --refresh": "a refresh reads every resource from the API where the floor reads nothing: each install "
    "read goes through the official SDK's request pipeline (`stripe_api.py`, `resources/app_installation.py`, read) "
    "and the Version History read per app",
    "no-op up": "check and diff of every resource in the provider (`resources/app_version.py` check fingerprints "
    "each app), and the larger state the engine writes",
}


def bench_overhead(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    v, n = size.versions, size.installs
    log(f"overhead: {v} versions + {n} installs vs {v + n} do-nothing resources, dynamic and native fronts")
    apps = make_apps(work / "apps-overhead", v, "over")
    sides = {
        "dynamic": (stacks.stack("over-dyn", dynamic(apps, n)), stacks.stack("over-dyn-floor", dynamic_floor(v, n))),
        "native": (stacks.stack("over-nat", native(apps, n)), stacks.stack("over-nat-floor", native_floor(v, n))),
    }
    for front, pair in sides.items():
        for stack in pair:
            log(f"overhead: first up of {stack.name} ({front})")
            stack.up(parallel=8)
    # times[front][op] = (ours, floor); cpu[front][op] = (ours, floor, emulator during ours)
    times = {f: {op: ([], []) for op in OVERHEAD_OPS} for f in FRONTS}
    cpu = {f: {op: ([], [], []) for op in OVERHEAD_OPS} for f in FRONTS}
    calls: dict[str, dict[str, int]] = {f: {} for f in FRONTS}
    for op in OVERHEAD_OPS:
        run = RUN[op]
        if size.reps > 1:  # warm-up: the first call of each kind pays for cold caches
            for pair in sides.values():
                for stack in pair:
                    run(stack)
        for rep in range(size.reps):
            log(f"overhead: {op} {rep + 1}/{size.reps}")
            for front, pair in sides.items():  # ours, floor, ours, floor: side by side
                for side, stack in enumerate(pair):
                    emulator.control.clear_requests()
                    before, served = children_cpu(), emulator.cpu_seconds()
                    times[front][op][side].append(timed(functools.partial(run, stack)))
                    cpu[front][op][side].append(children_cpu() - before)
                    if side == 0:
                        cpu[front][op][2].append(emulator.cpu_seconds() - served)
                        calls[front][op] = emulator.api_requests()
    lines = [
        f"stacks: {v} AppVersion + {n} AppInstallation vs {v + n} do-nothing resources with the same dependencies; "
        f"{size.reps} interleaved run(s) each" + (" after one warm-up" if size.reps > 1 else ""),
        "floor: `stripe_apps_devtools.noop.Noop` (dynamic) and `noop:index:Thing` served by "
        "`pulumi-resource-noop` (`stripe_apps_devtools/noop_native.py`, native)",
        "| front | operation | ours median (s) | floor median (s) | median of pair ratios "
        "| engine+provider CPU ours / floor (s) | emulator CPU during ours (s) | API requests (ours) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for front in FRONTS:
        for op in OVERHEAD_OPS:
            ours_t, floor_t = times[front][op]
            ratio = median([x / y for x, y in zip(ours_t, floor_t, strict=True)])
            c = [median(values) for values in cpu[front][op]]
            lines.append(
                f"| {front} | {op} | {median(ours_t):.2f} | {median(floor_t):.2f} | {ratio:.2f}x | "
                f"{c[0]:.2f} / {c[1]:.2f} | {c[2]:.2f} | {calls[front][op]} |"
            )
            target = TARGETS[op]
            met = ratio <= target
            note = ""
            if not met:
                note = (
                    f"ours took {median(ours_t) - median(floor_t):.2f} s more than the floor (median), with "
                    f"{c[0] - c[1]:.2f} s more CPU in the engine and provider processes and {c[2]:.2f} s in the "
                    f"emulator over {calls[front][op]} API request(s): {CAUSES[op]}."
                )
            report.add(Row(f"overhead {front}: {op}", f"{ratio:.2f}x", f"<= {target}x", met, note))
    report.section("overhead", lines)
