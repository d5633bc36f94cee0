"""Scale: programs of growing size through preview, up and refresh on both fronts, the package as users install it,
each beside a do-nothing floor of the same size; the marginal cost per resource of the largest step against the
smallest, the peak memory of each process by role, and how far the dynamic front goes.

The dynamic front: inline Python programs of versions, installs in all three modes and secrets. The native front:
YAML programs through `pulumi-resource-stripe-apps` of one version, installs on connected accounts and secrets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from scripts.bench.common import FRONTS, SCALE_OPS, Report, Row, Size, children_cpu, log, median, program_cpu
from scripts.bench.engine import (
    CLOCK_NOTE,
    Emulator,
    Stacks,
    command_seconds,
    dynamic,
    dynamic_floor,
    make_apps,
    recorded_shapes,
    write_yaml_program,
)
from scripts.bench.memory import ROLES, PeakMemory
from tests.support.apps import write_app

TARGET = 1.2
SIDES = ("ours", "floor")
Series = dict[str, dict[str, dict[int, list[float]]]]  # name -> operation -> total -> samples
Peaks = dict[str, dict[int, dict[str, int]]]  # operation -> total -> role -> bytes
MB = 1024 * 1024


def shape(total: int) -> tuple[int, int, int]:
    """A dynamic program's resource count as (versions, installs, secrets): a version per 20 resources, a secret
    per 10."""
    versions = max(1, total // 20)
    secrets = total // 10
    return versions, total - versions - secrets, secrets


def native_shape(total: int) -> tuple[int, int, int]:
    """A native program's: one version, a secret per 10 resources, installs on as many connected accounts."""
    secrets = total // 10
    return 1, total - 1 - secrets, secrets


# Given a size and a rep: our stack, and what makes the floor's once ours is up (it may declare what ours recorded).
Maker = Callable[[int, int], tuple[auto.Stack, Callable[[], auto.Stack]]]


def _dynamic_maker(work: Path, stacks: Stacks) -> Maker:
    def make(total: int, rep: int) -> tuple[auto.Stack, Callable[[], auto.Stack]]:
        versions, installs, secrets = shape(total)
        tag = f"{total}r{rep}"
        apps = make_apps(work / f"apps-scale-{tag}", versions, f"s{tag}x")
        ours = stacks.stack(f"scale-{tag}", dynamic(apps, installs, secrets, tag=tag))

        def floor() -> auto.Stack:
            program = dynamic_floor(versions, installs, recorded_shapes(ours), secrets)
            return stacks.stack(f"scale-floor-{tag}", program)

        return ours, floor

    return make


def _native_maker(work: Path, stacks: Stacks, emulator: Emulator) -> Maker:
    platform = emulator.control.keys()["default"]["account"]

    def make(total: int, rep: int) -> tuple[auto.Stack, Callable[[], auto.Stack]]:
        _, installs, secrets = native_shape(total)
        tag = f"{total}r{rep}"
        log(f"scale: {installs} connected accounts for the native program of {total}")
        accounts = [emulator.control.create_account(connected_to=platform)["account"] for _ in range(installs)]
        app = write_app(work / f"apps-native-{tag}" / "app", app_id=f"com.bench.n{tag}", sandbox=True)
        resources: dict[str, Any] = {"v": {"type": "stripe-apps:index:AppVersion", "properties": {"appDir": str(app)}}}
        for account in accounts:
            resources[f"i-{account}"] = {
                "type": "stripe-apps:index:AppInstallation",
                "properties": {"app": "${v.app}", "version": "${v.version}", "mode": "test", "account": account},
            }
        for k in range(secrets):
            # A scope holds at most 10 secrets per mode: one Dashboard user per ten secrets.
            resources[f"s{k}"] = {
                "type": "stripe-apps:index:AppSecret",
                "properties": {
                    "name": f"key{k % 10}",
                    "scope": "user",
                    "user": f"usr_n{tag}x{k // 10:05d}",
                    "mode": "test",
                    "payload": {"fn::secret": f"secret-{k}"},
                },
            }
        project = work / f"native-{tag}"
        write_yaml_program(project, f"scale-native-{tag}", resources)
        ours = stacks.sandbox.project_stack(project, stack="bench", config=stacks.config, env=stacks.env)

        def floor() -> auto.Stack:
            # Each thing holds what ours recorded under the same name (as inputs and outputs alike): the engine and
            # the YAML host carry at least ours' state on the floor's side too, so what its size costs them is the
            # floor's as well.
            shapes = recorded_shapes(ours)
            floor_resources = {
                name: {
                    "type": "noop:index:Thing",
                    "properties": {"label": "v" if name == "v" else "${v.label}", "shape": yaml_literal(shapes[name])},
                }
                for name in resources
            }
            write_yaml_program(work / f"native-floor-{tag}", f"scale-native-floor-{tag}", floor_resources)
            return stacks.sandbox.project_stack(work / f"native-floor-{tag}", stack="bench", env=stacks.env)

        return ours, floor

    return make


def growth_against_floor(
    ours: tuple[float, float], floor: tuple[float, float], ratio: float, floor_ratio: float
) -> str:
    """What a missed scale row's growth is, next to the floor's: marginal seconds per resource at the smallest and the
    largest step, each side, and their ratios."""
    if math.isnan(floor_ratio):
        return "no ratio to compare."
    if floor_ratio >= ratio:
        return "it grows as much or more, so what grows is the engine's and the SDK's cost per resource."
    grew, floor_grew = ours[1] - ours[0], floor[1] - floor[0]
    said = (
        f"ours grows by {1000 * grew:.2f} ms per resource from the smallest step to the largest, the floor by "
        f"{1000 * floor_grew:.2f} ms: "
    )
    if grew <= floor_grew:
        # A ratio is relative: a smallest step cheaper than the floor's turns the same growth into a larger ratio.
        return said + (
            f"no more than the engine's own growth. Ours' ratio is the higher because its smallest step costs "
            f"{1000 * (floor[0] - ours[0]):.2f} ms per resource less than the floor's."
        )
    return said + f"ours grows {1000 * (grew - floor_grew):.2f} ms per resource more."


def yaml_literal(value: Any) -> Any:
    """A recorded value as a YAML program states it literally: `${` is Pulumi YAML's interpolation, `$${` its escape."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, list):
        return [yaml_literal(item) for item in value]
    if isinstance(value, dict):
        return {key: yaml_literal(item) for key, item in value.items()}
    return value


def bench_scale(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    """Each front beside a do-nothing floor of the same size, in turn: what the floor's cost per resource does as
    programs grow is the engine's and the SDK's, not the provider's."""
    makers = {"dynamic": _dynamic_maker(work, stacks), "native": _native_maker(work, stacks, emulator)}
    sizes = {"dynamic": (size.scale, size.scale_reps), "native": (size.scale_native, size.scale_native_reps)}
    for front in FRONTS:
        totals, reps = sizes[front]
        data, peaks = _measure_front(front, totals, reps, makers[front], emulator)
        _write(report, front, totals, reps, data)
        _memory(report, front, totals, peaks)
    _how_far(report, size.scale_probe, makers["dynamic"])


def _measure_front(
    front: str, totals: tuple[int, ...], reps: int, make: Maker, emulator: Emulator
) -> tuple[dict[str, Series], dict[str, Peaks]]:
    stacks_by: dict[tuple[str, int], auto.Stack] = {}
    # per side, operation and total: wall seconds, program CPU, engine+provider CPU, emulator CPU
    series = ("wall", "program", "cpu", "served")
    data: dict[str, Series] = {
        side: {name: {op: {t: [] for t in totals} for op in SCALE_OPS} for name in series} for side in SIDES
    }
    peaks: dict[str, Peaks] = {
        side: {op: {t: dict.fromkeys(ROLES, 0) for t in totals} for op in SCALE_OPS} for side in SIDES
    }

    def measure(side: str, op: str, total: int) -> None:
        stack = stacks_by[side, total]
        call = {"preview": stack.preview, "up": stack.up, "refresh": stack.refresh}[op]
        before, emu, own = children_cpu(), emulator.cpu_seconds(), program_cpu()
        found = data[side]
        memory = PeakMemory()
        with memory.watching():
            found["wall"][op][total].append(command_seconds(stack, call))
        found["cpu"][op][total].append(children_cpu() - before)
        found["program"][op][total].append(program_cpu() - own)
        found["served"][op][total].append(emulator.cpu_seconds() - emu)
        seen = peaks[side][op][total]
        for role, value in memory.peaks.items():
            seen[role] = max(seen[role], value)

    # up: a new program each rep (an up of a stack already up is a no-op), sizes in turn
    for rep in range(reps):
        for total in totals:
            log(f"scale {front}: up of {total} resources and of its floor ({rep + 1}/{reps})")
            ours, floor = make(total, rep)
            stacks_by["ours", total] = ours
            measure("ours", "up", total)
            stacks_by["floor", total] = floor()
            measure("floor", "up", total)
    # preview and refresh of the last rep's programs: every size in turn, rep after rep, so drift weighs on each alike
    for rep in range(reps):
        for op in ("preview", "refresh"):
            for total in totals:
                log(f"scale {front}: {op} of {total} resources and of its floor ({rep + 1}/{reps})")
                for side in SIDES:
                    measure(side, op, total)
    return data, peaks


def _memory(report: Report, front: str, totals: tuple[int, ...], peaks: dict[str, Peaks]) -> None:
    """Peak RSS per role at each size (the largest over the three operations), and per 1000 resources between the
    smallest size and the largest: what each thousand more resources costs each process."""
    lines = [
        f"{front}: peak RSS (MB) during any of preview, up and refresh, by process; ours / floor",
        "| resources | " + " | ".join(ROLES) + " |",
        "|---|" + "---|" * len(ROLES),
    ]

    def peak(side: str, total: int, role: str) -> int:
        return max(peaks[side][op][total][role] for op in SCALE_OPS)

    for total in totals:
        cells = [f"{peak('ours', total, role) / MB:.0f} / {peak('floor', total, role) / MB:.0f}" for role in ROLES]
        lines.append(f"| {total} | " + " | ".join(cells) + " |")
    low, high = totals[0], totals[-1]
    per_thousand = {
        side: {role: (peak(side, high, role) - peak(side, low, role)) / MB * 1000 / (high - low) for role in ROLES}
        for side in SIDES
    }
    value = "; ".join(
        f"{role} {per_thousand['ours'][role]:.0f} (floor {per_thousand['floor'][role]:.0f})"
        for role in ROLES
        if peak("ours", high, role) or peak("floor", high, role)
    )
    report.section(f"scale memory {front}", lines)
    report.add(
        Row(
            f"scale {front}: peak RSS per 1000 more resources (MB), by process",
            f"{value} ({low}->{high} resources)",
            "- (measured)",
            None,
            "the inline program runs in the bench's own process, so its figure includes what the bench holds"
            if front == "dynamic"
            else "the YAML language host runs the program itself",
        )
    )


def _how_far(report: Report, totals: tuple[int, ...], make: Maker) -> None:
    """Ups of ever larger dynamic programs until one fails: the largest that ran and the first that failed, why."""
    ran, failure = 0, ""
    for total in totals:
        log(f"scale dynamic: how far it goes, an up of {total} resources")
        ours, _ = make(total, -1)
        try:
            seconds = command_seconds(ours, ours.up)
        except auto.CommandError as failed:
            failure = _cause(str(failed))
            report.section("scale limit dynamic", [f"up of {total} resources failed: {failure}"])
            break
        ran = total
        log(f"scale dynamic: {total} resources up in {seconds:.1f} s")  # left up: a destroy would double the cost
    top = totals[-1]
    value = f"{ran} resources ran" + (f"; the first to fail: {total} ({failure})" if failure else "")
    report.add(Row("scale dynamic: the largest program that ran (up)", value, f">= {top}", ran >= top, failure))


def _cause(error: str) -> str:
    """The engine's error, reduced to the lines that name it (a RecursionError, an exception's last line)."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    named = [line for line in lines if "Error" in line or "error:" in line]
    return (named[-1] if named else (lines[-1] if lines else "no output"))[:300]


DESCRIPTIONS = {
    "dynamic": "inline Python programs: one AppVersion per 20 resources, one AppSecret per 10 (user scope), the rest "
    "AppInstallation over the three modes; the floor: `Noop`s declaring what ours recorded, run in turn with ours "
    "in the same process",
    "native": "YAML programs through `pulumi-resource-stripe-apps`: one AppVersion, one AppSecret per 10 resources "
    "(user scope), the rest AppInstallation in test mode, each on its own connected account (`account`); the "
    "floor: as many `noop:index:Thing`s (`pulumi-resource-noop`), each depending on the first and declaring what ours "
    "recorded under its name (`shape`: secrets as placeholders of the same length), which it keeps as inputs and "
    "outputs alike: the floor's state holds at least as much as ours",
}


def _write(report: Report, front: str, totals: tuple[int, ...], reps: int, data: dict[str, Series]) -> None:
    ours, floor = data["ours"], data["floor"]
    shape_of = shape if front == "dynamic" else native_shape
    lines = [
        f"{front}: {DESCRIPTIONS[front]}; {reps} rep(s) of each operation, sizes in turn (each up a new program); "
        "`PULUMI_SKIP_CHECKPOINTS=true` (the file backend otherwise rewrites the whole state after every step); "
        + CLOCK_NOTE,
        "| resources | versions / installs / secrets | up (s) | preview (s) | refresh (s) | up per resource (ms) "
        "| preview per resource (ms) | refresh per resource (ms) | floor: up / preview / refresh (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for total in totals:
        v, i, s = shape_of(total)
        med = {op: median(ours["wall"][op][total]) for op in SCALE_OPS}
        low = {op: median(floor["wall"][op][total]) for op in SCALE_OPS}
        lines.append(
            f"| {total} | {v} / {i} / {s} | {med['up']:.2f} | {med['preview']:.2f} | {med['refresh']:.2f} | "
            f"{1000 * med['up'] / total:.1f} | {1000 * med['preview'] / total:.1f} | "
            f"{1000 * med['refresh'] / total:.1f} | {low['up']:.2f} / {low['preview']:.2f} / {low['refresh']:.2f} |"
        )
    (a, b), (c, d) = (totals[0], totals[1]), (totals[-2], totals[-1])
    lines += [
        "",
        f"marginal cost per resource (ms), {a}->{b} -> {c}->{d}: wall, and CPU by process: the program (inline, "
        "in the bench's process), the engine with its provider processes, the emulator; the floor's wall beside it",
        "| operation | wall | program CPU | engine+provider CPU | emulator CPU | floor wall | floor's ratio |",
        "|---|---|---|---|---|---|---|",
    ]

    def step(values: dict[int, list[float]], lo: int, hi: int) -> float:
        return (median(values[hi]) - median(values[lo])) / (hi - lo)

    def growth(values: dict[int, list[float]]) -> tuple[float, float, float]:
        small, large = step(values, a, b), step(values, c, d)
        valid = small > 0 and large > 0  # a step that cost nothing or less is noise, not a ratio
        return small, large, (large / small if valid else float("nan"))

    for op in SCALE_OPS:
        cells = [
            f"{1000 * step(ours[name][op], a, b):.2f} -> {1000 * step(ours[name][op], c, d):.2f}"
            for name in ("wall", "program", "cpu", "served")
        ]
        small, large, ratio = growth(ours["wall"][op])
        floor_small, floor_large, floor_ratio = growth(floor["wall"][op])
        cells += [f"{1000 * floor_small:.2f} -> {1000 * floor_large:.2f}", _ratio_text(floor_ratio)]
        lines.append(f"| {op} | {' | '.join(cells)} |")
        valid = not math.isnan(ratio)
        met = valid and ratio <= TARGET
        note = ""
        if not met:
            where = {
                "program CPU": (step(ours["program"][op], a, b), step(ours["program"][op], c, d)),
                "engine+provider CPU": (step(ours["cpu"][op], a, b), step(ours["cpu"][op], c, d)),
                "emulator CPU": (step(ours["served"][op], a, b), step(ours["served"][op], c, d)),
            }
            grew = ", ".join(f"{name} {1000 * lo:.2f} -> {1000 * hi:.2f} ms" for name, (lo, hi) in where.items())
            note = (
                f"marginal wall time per resource {1000 * small:.2f} ms ({a}->{b}) vs {1000 * large:.2f} ms "
                f"({c}->{d}); CPU per resource, {grew}."
            )
            name, (lo, hi) = max(where.items(), key=lambda item: item[1][1] - item[1][0])
            note += f" The most growth: {name}, {1000 * (hi - lo):.2f} ms more per resource."
            note += (
                f" The do-nothing floor of the same shapes, in the same run: {1000 * floor_small:.2f} -> "
                f"{1000 * floor_large:.2f} ms, {_ratio_text(floor_ratio)}; "
            )
            note += growth_against_floor((small, large), (floor_small, floor_large), ratio, floor_ratio)
        report.add(
            Row(
                f"scale {front}: {op}, marginal cost per resource, largest step vs smallest",
                f"{ratio:.2f}x ({c}->{d} vs {a}->{b}; floor {_ratio_text(floor_ratio)})"
                if valid
                else f"n/a: a step without a measurable cost ({1000 * small:.2f} ms, {1000 * large:.2f} ms)",
                f"<= {TARGET}x",
                met,
                note,
            )
        )
    report.section(f"scale {front}", lines)


def _ratio_text(ratio: float) -> str:
    return "n/a" if math.isnan(ratio) else f"{ratio:.2f}x"
