"""What every measure shares: the sizes, a row of the results table, the report being built, timing helpers."""

from __future__ import annotations

import math
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Size:
    """How big each part of the run is; `ci` keeps every row but shrinks what is behind it."""

    name: str
    versions: int  # overhead stacks: versions, and installs spread over them
    installs: int
    reps: int
    fp_mb: tuple[int, ...]
    fp_reps: int
    conc_installs: int
    conc_parallel: tuple[int, ...]
    conc_latency_ms: int
    conc_reps: int
    scale: tuple[int, ...]  # resources per dynamic program; the marginal rows compare the first and last steps
    scale_native: tuple[int, ...]  # resources per native program, likewise
    scale_probe: tuple[int, ...]  # ever larger dynamic programs, each up until one fails
    scale_reps: int  # of the dynamic front's programs
    scale_native_reps: int
    rollout: tuple[int, int, int]  # connected accounts in each rollout, smallest to largest
    rollout_runs: tuple[int, int, int]  # runs of each (the median stands): the engine's start-up weighs most on the
    # smallest, and one run of it swung between 1.16x and 1.34x


SIZES = {
    "full": Size(
        "full",
        10,
        100,
        10,  # interleaved reps of each overhead row: with 5, a row moved by up to 0.1x between runs
        (10, 50, 100),
        5,
        40,
        (1, 4, 8, 16),
        200,
        3,  # runs per --parallel setting: the median of three outlasts one run that a busy moment slowed
        scale=(100, 300, 1000, 2000),
        scale_native=(1000, 2000, 5000, 10000),
        scale_probe=(5000, 10000),
        scale_reps=2,
        scale_native_reps=3,  # one rep swung between 0.8x and 2.9x on the floor alone; two runs of two reps gave
        # 1.40x and 1.55x for preview (a step's cost is the difference of two medians: with two reps, of two means)
        rollout=(100, 1000, 5000),
        rollout_runs=(5, 1, 1),
    ),
    "ci": Size(
        "ci",
        2,
        10,
        1,
        (2, 5, 10),
        1,
        4,
        (1, 4, 8, 16),
        50,
        1,
        scale=(20, 40, 60),  # the smallest step is 20->40, the largest 40->60
        scale_native=(20, 40, 60),
        scale_probe=(150,),
        scale_reps=1,
        scale_native_reps=1,
        rollout=(5, 10, 20),
        rollout_runs=(2, 1, 1),
    ),
}

FRONTS = ("dynamic", "native")
OVERHEAD_OPS = ("preview", "preview --refresh", "no-op up")
SCALE_OPS = ("preview", "up", "refresh")
SURFACES = ("full", "stripe")
REQUEST_OPS = (
    "create install",
    "upgrade install",
    "uninstall",
    "refresh one install",
    "no-op up (one install)",
)

# Every row the table prints, in order; the CI smoke test checks each appears.
ROW_KEYS = (
    "scale native: preview, marginal cost per resource, largest step vs smallest",
    "scale native: up, marginal cost per resource, largest step vs smallest",
    "scale native: refresh, marginal cost per resource, largest step vs smallest",
    "scale dynamic: preview, marginal cost per resource, largest step vs smallest",
    "scale dynamic: up, marginal cost per resource, largest step vs smallest",
    "scale dynamic: refresh, marginal cost per resource, largest step vs smallest",
    "scale native: peak RSS per 1000 more resources (MB), by process",
    "scale dynamic: peak RSS per 1000 more resources (MB), by process",
    "scale dynamic: the largest program that ran (up)",
    "rollout (smallest): wall time / the larger floor",
    "rollout (smallest): failed resources, requests beyond the minimum",
    "rollout (middle): wall time / the larger floor",
    "rollout (middle): failed resources, requests beyond the minimum",
    "rollout (largest): wall time / the larger floor",
    "rollout (largest): failed resources, requests beyond the minimum",
    "overhead dynamic: preview",
    "overhead dynamic: preview --refresh",
    "overhead dynamic: no-op up",
    "overhead native: preview",
    "overhead native: preview --refresh",
    "overhead native: no-op up",
    "overhead native: the options ours declares, on the floor's preview (with / without)",
    "concurrency native: ours / floor at --parallel 1",
    "concurrency native: ours / floor at --parallel 4",
    "concurrency native: ours / floor at --parallel 8",
    "concurrency native: ours / floor at --parallel 16",
    "concurrency dynamic: ours / floor at --parallel 1",
    "concurrency dynamic: ours / floor at --parallel 4",
    "concurrency dynamic: ours / floor at --parallel 8",
    "concurrency dynamic: ours / floor at --parallel 16",
    "hashing: throughput vs openssl dgst -sha256",
    "hashing: throughput vs sha256sum",
    "hashing: traced peak, largest tree vs smallest",
    "requests full: create install",
    "requests full: upgrade install",
    "requests full: uninstall",
    "requests full: refresh one install",
    "requests full: no-op up (one install)",
    "requests full: no-op up (whole stack)",
    "requests stripe: create install",
    "requests stripe: upgrade install",
    "requests stripe: uninstall",
    "requests stripe: refresh one install",
    "requests stripe: no-op up (one install)",
    "requests stripe: no-op up (whole stack)",
)


@dataclass
class Row:
    """One line of the results table: what, the measured value, the target, whether it is met, why not."""

    key: str
    value: str
    target: str
    met: bool | None
    note: str = ""  # the cause of a miss or what limits it, with figures from this run only


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        assert row.key in ROW_KEYS, row.key
        self.rows.append(row)
        print(f"| {row.key} | {row.value} | {row.target} | {mark(row.met)} |", flush=True)

    def section(self, name: str, lines: list[str]) -> None:
        self.sections[name] = lines
        for line in lines:
            print(f"    {line}", flush=True)


def mark(met: bool | None) -> str:
    return {True: "yes", False: "miss", None: "-"}[met]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def children_cpu() -> float:
    """CPU seconds of finished child processes: the engine and, below it, the provider processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def program_cpu() -> float:
    """CPU seconds of this process: inline programs run here (the language host calls back into it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start
