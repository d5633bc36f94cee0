"""Scale: programs of growing size (versions, installs in all three modes, secrets) through preview, up and
refresh on the dynamic front, the package as users install it; the marginal cost per resource of the largest
step against the smallest."""

from __future__ import annotations

import math
from pathlib import Path

from pulumi import automation as auto

from scripts.bench.common import SCALE_OPS, Report, Row, Size, children_cpu, log, median, program_cpu, timed
from scripts.bench.engine import Emulator, Stacks, dynamic, dynamic_floor, make_apps, recorded_shapes

TARGET = 1.2
# A file backend writes the whole state after every step, so without this an up or refresh of n resources writes
# n states of up to n resources: the engine's quadratic cost, the same for any provider, that Pulumi's setting for
# large stacks turns off (one write at the end). What is left is what each resource costs.
SCALE_ENV = {"PULUMI_SKIP_CHECKPOINTS": "true"}


def shape(total: int) -> tuple[int, int, int]:
    """A total resource count as (versions, installs, secrets): one version per 20 resources, a secret per 10."""
    versions = max(1, total // 20)
    secrets = total // 10
    return versions, total - versions - secrets, secrets


SIDES = ("ours", "floor")
Series = dict[str, dict[str, dict[int, list[float]]]]  # name -> operation -> total -> samples


def bench_scale(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    """Ours and, beside it in turn, a do-nothing floor of the same shapes (`Noop`s declaring what ours recorded):
    what the floor's cost per resource does as programs grow is the engine's and the SDK's, not the provider's."""
    totals = size.scale
    stacks_by: dict[tuple[str, int], auto.Stack] = {}
    # per side, operation and total: wall seconds, program CPU, engine+provider CPU, emulator CPU
    series = ("wall", "program", "cpu", "served")
    data: dict[str, Series] = {
        side: {name: {op: {t: [] for t in totals} for op in SCALE_OPS} for name in series} for side in SIDES
    }

    def measure(side: str, op: str, total: int) -> None:
        stack = stacks_by[side, total]
        call = {"preview": stack.preview, "up": stack.up, "refresh": stack.refresh}[op]
        before, emu, own = children_cpu(), emulator.cpu_seconds(), program_cpu()
        found = data[side]
        found["wall"][op][total].append(timed(call))
        found["cpu"][op][total].append(children_cpu() - before)
        found["program"][op][total].append(program_cpu() - own)
        found["served"][op][total].append(emulator.cpu_seconds() - emu)

    # up: a new program of new apps each rep (an up of a stack already up is a no-op), sizes in turn; the floor
    # declares what that program recorded
    for rep in range(size.scale_reps):
        for total in totals:
            versions, installs, secrets = shape(total)
            log(
                f"scale: up of {total} resources ({versions} versions, {installs} installs, {secrets} secrets) "
                f"and of its floor ({rep + 1}/{size.scale_reps})"
            )
            tag = f"{total}r{rep}"
            apps = make_apps(work / f"apps-scale-{tag}", versions, f"s{tag}x")
            stacks_by["ours", total] = stacks.stack(f"scale-{tag}", dynamic(apps, installs, secrets, tag=tag))
            measure("ours", "up", total)
            shapes = recorded_shapes(stacks_by["ours", total])
            floor = dynamic_floor(versions, installs, shapes, secrets)
            stacks_by["floor", total] = stacks.stack(f"scale-floor-{tag}", floor)
            measure("floor", "up", total)
    # preview and refresh of the last rep's programs: every size in turn, rep after rep, so drift weighs on each alike
    for rep in range(size.scale_reps):
        for op in ("preview", "refresh"):
            for total in totals:
                log(f"scale: {op} of {total} resources and of its floor ({rep + 1}/{size.scale_reps})")
                for side in SIDES:
                    measure(side, op, total)
    _write(report, size, data)


def _write(report: Report, size: Size, data: dict[str, Series]) -> None:
    totals = size.scale
    ours, floor = data["ours"], data["floor"]
    lines = [
        "resources: one AppVersion per 20, one AppSecret per 10 (user scope), the rest AppInstallation over the "
        f"three modes; {size.scale_reps} rep(s) of each operation, sizes in turn (each up a new program); "
        "`PULUMI_SKIP_CHECKPOINTS=true` (the file backend otherwise rewrites the whole state after every step); "
        "the floor: `Noop`s declaring what ours recorded, run in turn with ours in the same process",
        "| resources | versions / installs / secrets | up (s) | preview (s) | refresh (s) | up per resource (ms) "
        "| preview per resource (ms) | refresh per resource (ms) | floor: up / preview / refresh (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for total in totals:
        v, i, s = shape(total)
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
            if math.isnan(floor_ratio):
                note += "no ratio to compare."
            elif floor_ratio >= ratio:
                note += "it grows as much or more, so what grows is the engine's and the SDK's cost per resource."
            else:
                note += (
                    f"ours grows more than the floor: {1000 * (large - floor_large):.2f} ms more per resource than "
                    f"the floor at {c}->{d}, {1000 * (small - floor_small):.2f} ms at {a}->{b}."
                )
        report.add(
            Row(
                f"scale: {op}, marginal cost per resource, largest step vs smallest",
                f"{ratio:.2f}x ({c}->{d} vs {a}->{b}; floor {_ratio_text(floor_ratio)})"
                if valid
                else f"n/a: a step without a measurable cost ({1000 * small:.2f} ms, {1000 * large:.2f} ms)",
                f"<= {TARGET}x",
                met,
                note,
            )
        )
    report.section("scale", lines)


def _ratio_text(ratio: float) -> str:
    return "n/a" if math.isnan(ratio) else f"{ratio:.2f}x"
