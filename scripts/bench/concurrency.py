"""Concurrency against the floor: an up of N installs while the emulator adds latency to every install request, at
each --parallel, on both fronts, beside a do-nothing native provider whose every create sleeps the same latency:
what the engine and a provider making one such call per install would take at that setting."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from pathlib import Path

from scripts.bench.common import FRONTS, Report, Row, Size, log, median
from scripts.bench.engine import (
    CLOCK_NOTE,
    MODES,
    Emulator,
    Program,
    Stacks,
    command_seconds,
    dynamic,
    make_apps,
    native,
    native_floor,
    recorded_shapes,
)
from stripe_apps_devtools.noop_native import LATENCY_VARIABLE

INSTALL_ROUTES = "* /v1/apps/installs*"
# The calls a create needs on those routes at the least (request_counts.MINIMUMS, full surface): the POST, which
# answers `installing`, and one read that sees `installed`. The floor sleeps the latency once for each, so the ratio
# is the provider's cost beyond its necessary calls; a call beyond them shows as a miss.
INSTALL_ROUTE_CALLS = 2
TARGET = 1.1
SIDES = (*FRONTS, "floor")
PROGRAMS = {"dynamic": dynamic, "native": native}


def _dynamic_host_workers() -> int:
    """The thread pool of Pulumi's dynamic provider host, read from the installed SDK (`pulumi/dynamic/__main__.py`)."""
    import pulumi.dynamic  # noqa: PLC0415

    source = (Path(pulumi.dynamic.__file__).parent / "__main__.py").read_text()
    found = re.search(r"ThreadPoolExecutor\(max_workers=(\d+)\)", source)
    return int(found.group(1)) if found else 0


DYNAMIC_HOST_WORKERS = _dynamic_host_workers()


def _slowed_requests(emulator: Emulator) -> Counter[str]:
    """The requests the latency rule slowed, by operation (ids left out)."""
    return Counter(
        f"{entry['method']} {re.sub(r'/[a-z]+_[A-Za-z0-9_]+', '/{id}', entry['path'])}"
        for entry in emulator.control.requests()
        if entry["path"].startswith("/v1/apps/installs")
    )


def bench_concurrency(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    n, latency_ms = size.conc_installs, size.conc_latency_ms
    apps = make_apps(work / "apps-conc", math.ceil(n / len(MODES)), "conc")
    by_side = {front: stacks.stack(f"conc-{front}", program(apps, n)) for front, program in PROGRAMS.items()}
    log(f"concurrency: a first up of {n} native installs, whose recorded shapes the floor declares")
    by_side["native"].up(parallel=8)
    shapes = recorded_shapes(by_side["native"])
    # (nothing declared, the installs declared) per side; the floor's versions are things that do nothing too
    programs: dict[str, tuple[Program, Program]] = {
        **{front: (program(apps, 0), program(apps, n)) for front, program in PROGRAMS.items()},
        "floor": (native_floor(len(apps), 0, shapes), native_floor(len(apps), n, shapes)),
    }
    create_ms = INSTALL_ROUTE_CALLS * latency_ms
    sleeping = Stacks(work, stacks.config, env={**stacks.env, LATENCY_VARIABLE: str(create_ms)})
    for front in FRONTS:
        by_side[front].workspace.program = programs[front][0]
    by_side["floor"] = sleeping.stack("conc-floor", programs["floor"][0])
    log(
        f"concurrency: {n} installs over {len(apps)} apps, {latency_ms} ms per install request, "
        f"{create_ms} ms per floor create"
    )
    for stack in by_side.values():
        stack.up(parallel=8)
    rule = [{"route": INSTALL_ROUTES, "kind": "latency", "probability": 1, "latency_ms": latency_ms}]
    times: dict[str, dict[int, list[float]]] = {side: {p: [] for p in size.conc_parallel} for side in SIDES}
    slowed: dict[str, Counter[str]] = {}
    # Forwards then backwards, each setting for all three sides in turn, so drift weighs on every cell alike.
    order = [*size.conc_parallel, *reversed(size.conc_parallel)] * math.ceil(size.conc_reps / 2)
    for parallel in order[: len(size.conc_parallel) * size.conc_reps]:
        for side in SIDES:
            stack = by_side[side]
            empty, full = programs[side]
            stack.workspace.program = full
            emulator.control.set_faults(seed=8, rules=rule)
            emulator.control.clear_requests()
            log(f"concurrency: {side} up of {n} installs with --parallel {parallel}")
            times[side][parallel].append(command_seconds(stack, functools.partial(stack.up, parallel=parallel)))
            if side != "floor":
                slowed[side] = _slowed_requests(emulator)
            emulator.control.clear_faults()
            stack.workspace.program = empty
            stack.up(parallel=8)
    lines = [
        f"{n} installs, {latency_ms} ms added by the emulator to every request on `{INSTALL_ROUTES}`; the floor: "
        f"`pulumi-resource-noop` declaring {len(apps)} + {n} things, each holding what ours recorded under its name "
        f"(recorded in a first up) with the options ours declares (the schema's alias, secret outputs), each create "
        f"sleeping {create_ms} ms "
        f"(`{LATENCY_VARIABLE}`: {latency_ms} ms for each of the {INSTALL_ROUTE_CALLS} calls an install needs on "
        f"those routes at the least); {size.conc_reps} run(s) per setting, the three in turn; " + CLOCK_NOTE,
        "| --parallel | native (s) | dynamic (s) | floor (s) | native / floor | dynamic / floor |",
        "|---|---|---|---|---|---|",
    ]
    for parallel in size.conc_parallel:
        med = {side: median(times[side][parallel]) for side in SIDES}
        lines.append(
            f"| {parallel} | {med['native']:.2f} | {med['dynamic']:.2f} | {med['floor']:.2f} | "
            f"{med['native'] / med['floor']:.2f}x | {med['dynamic'] / med['floor']:.2f}x |"
        )
    lines += [
        f"{front}: requests on the slowed routes in its last up: "
        + ", ".join(f"{count} x `{route}`" for route, count in sorted(slowed[front].items()))
        + f" (the floor: {n} creates, {INSTALL_ROUTE_CALLS} x {latency_ms} ms each)"
        for front in FRONTS
    ]
    report.section("concurrency", lines)
    for front in FRONTS:
        for parallel in size.conc_parallel:
            ours, floor = median(times[front][parallel]), median(times["floor"][parallel])
            ratio = ours / floor
            note = ""
            if ratio > TARGET:
                note = (
                    f"{ours:.2f} s against the floor's {floor:.2f} s at --parallel {parallel}; "
                    f"{sum(slowed[front].values())} requests of {latency_ms} ms for {n} installs "
                    f"({', '.join(f'{count} x {route}' for route, count in sorted(slowed[front].items()))}), "
                    f"the floor's {n} creates {INSTALL_ROUTE_CALLS} x {latency_ms} ms each"
                )
                if front == "dynamic" and parallel > DYNAMIC_HOST_WORKERS:
                    note += (
                        f"; Pulumi's dynamic provider host serves {DYNAMIC_HOST_WORKERS} calls at once whatever "
                        "--parallel says (its ThreadPoolExecutor), so past that the engine's extra slots wait"
                    )
            report.add(
                Row(
                    f"concurrency {front}: ours / floor at --parallel {parallel}",
                    f"{ratio:.2f}x ({ours:.2f} s / {floor:.2f} s)",
                    f"<= {TARGET}x",
                    ratio <= TARGET,
                    note,
                )
            )
