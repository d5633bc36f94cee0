"""Scale: programs of growing size (versions, installs in all three modes, secrets) through preview, up and
refresh on the dynamic front, the package as users install it; the marginal cost per resource of the largest
step against the smallest."""

from __future__ import annotations

from pathlib import Path

from scripts.bench.common import SCALE_OPS, Report, Row, Size, children_cpu, log, median, program_cpu, timed
from scripts.bench.engine import Emulator, Stacks, dynamic, make_apps

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


def bench_scale(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    totals = size.scale
    stacks_by_total = {}
    # per operation and total: wall seconds, engine+provider CPU, emulator CPU
    wall: dict[str, dict[int, list[float]]] = {op: {t: [] for t in totals} for op in SCALE_OPS}
    cpu: dict[str, dict[int, list[float]]] = {op: {t: [] for t in totals} for op in SCALE_OPS}
    served: dict[str, dict[int, list[float]]] = {op: {t: [] for t in totals} for op in SCALE_OPS}
    program: dict[str, dict[int, list[float]]] = {op: {t: [] for t in totals} for op in SCALE_OPS}

    def measure(op: str, total: int) -> None:
        stack = stacks_by_total[total]
        call = {"preview": stack.preview, "up": stack.up, "refresh": stack.refresh}[op]
        before, emu, own = children_cpu(), emulator.cpu_seconds(), program_cpu()
        wall[op][total].append(timed(call))
        cpu[op][total].append(children_cpu() - before)
        program[op][total].append(program_cpu() - own)
        served[op][total].append(emulator.cpu_seconds() - emu)

    # up: a new program of new apps each rep (an up of a stack already up is a no-op), sizes in turn
    for rep in range(size.scale_reps):
        for total in totals:
            versions, installs, secrets = shape(total)
            log(
                f"scale: up of {total} resources ({versions} versions, {installs} installs, {secrets} secrets) "
                f"({rep + 1}/{size.scale_reps})"
            )
            tag = f"{total}r{rep}"
            apps = make_apps(work / f"apps-scale-{tag}", versions, f"s{tag}x")
            stacks_by_total[total] = stacks.stack(f"scale-{tag}", dynamic(apps, installs, secrets, tag=tag))
            measure("up", total)
    # preview and refresh of the last rep's programs: every size in turn, rep after rep, so drift weighs on each alike
    for rep in range(size.scale_reps):
        for op in ("preview", "refresh"):
            for total in totals:
                log(f"scale: {op} of {total} resources ({rep + 1}/{size.scale_reps})")
                measure(op, total)
    lines = [
        "resources: one AppVersion per 20, one AppSecret per 10 (user scope), the rest AppInstallation over the "
        f"three modes; {size.scale_reps} rep(s) of each operation, sizes in turn (each up a new program); "
        "`PULUMI_SKIP_CHECKPOINTS=true` (the file backend otherwise rewrites the whole state after every step)",
        "| resources | versions / installs / secrets | up (s) | preview (s) | refresh (s) | up per resource (ms) "
        "| preview per resource (ms) | refresh per resource (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for total in totals:
        v, i, s = shape(total)
        med = {op: median(wall[op][total]) for op in SCALE_OPS}
        lines.append(
            f"| {total} | {v} / {i} / {s} | {med['up']:.2f} | {med['preview']:.2f} | {med['refresh']:.2f} | "
            f"{1000 * med['up'] / total:.1f} | {1000 * med['preview'] / total:.1f} | "
            f"{1000 * med['refresh'] / total:.1f} |"
        )
    (a, b), (c, d) = (totals[0], totals[1]), (totals[-2], totals[-1])
    lines += [
        "",
        f"marginal cost per resource (ms), {a}->{b} -> {c}->{d}: wall, and CPU by process: the program (inline, "
        "in the bench's process), the engine with its provider processes, the emulator",
        "| operation | wall | program CPU | engine+provider CPU | emulator CPU |",
        "|---|---|---|---|---|",
    ]

    def step(values: dict[int, list[float]], lo: int, hi: int) -> float:
        return (median(values[hi]) - median(values[lo])) / (hi - lo)

    for op in SCALE_OPS:
        cells = []
        for series in (wall[op], program[op], cpu[op], served[op]):
            cells.append(f"{1000 * step(series, a, b):.2f} -> {1000 * step(series, c, d):.2f}")
        lines.append(f"| {op} | {' | '.join(cells)} |")
        small, large = step(wall[op], a, b), step(wall[op], c, d)
        valid = small > 0 and large > 0  # a step that cost nothing or less is noise, not a ratio
        ratio = large / small if valid else float("nan")
        met = valid and ratio <= TARGET
        note = ""
        if not met:
            where = {
                "program CPU": (step(program[op], a, b), step(program[op], c, d)),
                "engine+provider CPU": (step(cpu[op], a, b), step(cpu[op], c, d)),
                "emulator CPU": (step(served[op], a, b), step(served[op], c, d)),
            }
            grew = ", ".join(f"{name} {1000 * lo:.2f} -> {1000 * hi:.2f} ms" for name, (lo, hi) in where.items())
            note = (
                f"marginal wall time per resource {1000 * small:.2f} ms ({a}->{b}) vs {1000 * large:.2f} ms "
                f"({c}->{d}); CPU per resource, {grew}."
            )
            name, (lo, hi) = max(where.items(), key=lambda item: item[1][1] - item[1][0])
            note += f" The most growth: {name}, {1000 * (hi - lo):.2f} ms more per resource."
        report.add(
            Row(
                f"scale: {op}, marginal cost per resource, largest step vs smallest",
                f"{ratio:.2f}x ({c}->{d} vs {a}->{b})"
                if valid
                else f"n/a: a step without a measurable cost ({1000 * small:.2f} ms, {1000 * large:.2f} ms)",
                f"<= {TARGET}x",
                met,
                note,
            )
        )
    report.section("scale", lines)
