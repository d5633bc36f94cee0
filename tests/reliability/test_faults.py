"""Seeded faults on every route, both surfaces, both fronts: `pulumi up` converges with no create beyond its plan, no
duplicate and no orphan; `destroy` under faults leaves nothing. Every run's row is kept, passed or failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import Record
from tests.reliability.fault_runs import ROW
from tests.reliability.support import FRONTS, SIZE, fault_seeds, short
from tests.support.surfaces import SURFACES

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT = 3600


def run_worker(tasks: list[str]) -> tuple[list[dict[str, Any]], str]:
    """Runs `fault_runs` on some `FRONT:SURFACE:SEED` tasks in a process of its own: (its rows, its stderr tail)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.fault_runs", *tasks],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    rows = [json.loads(line[len(ROW) :]) for line in done.stdout.splitlines() if line.startswith(ROW)]
    return rows, short(done.stderr, 3000)


def fault_tasks() -> list[str]:
    return [
        f"{front}:{surface}:{seed}"
        for front in FRONTS
        for seed in range(1, fault_seeds(front) + 1)
        for surface in SURFACES
    ]


def test_faulted_runs_converge_without_extra_creates_duplicates_or_orphans(record: Record) -> None:
    tasks = fault_tasks()
    workers = max(1, min(SIZE.fault_workers, len(tasks)))
    shares = [tasks[index::workers] for index in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(run_worker, shares))
    rows: dict[str, dict[str, Any]] = {}
    for share, (found, stderr) in zip(shares, results, strict=True):
        for row in found:
            rows[f"{row['front']}:{row['surface']}:{row['seed']}"] = row
        for task in share:  # a worker that died leaves its remaining runs unconverged, never unrecorded
            if task not in rows:
                front, surface, seed = task.split(":")
                rows[task] = {
                    "front": front,
                    "surface": surface,
                    "seed": int(seed),
                    "outcome": "error",
                    "converged": False,
                    "destroyed": False,
                    "error": f"the worker gave no row; its stderr: {stderr}",
                }
    for task in tasks:
        record("faults", **rows[task])

    failed = {task: row for task, row in rows.items() if row["outcome"] != "passed"}
    print(f"fault runs: {len(rows)}; failed: {sorted(failed)}")
    assert failed == {}, json.dumps(failed, indent=1, sort_keys=True)[:20_000]
    assert all(row["converged"] and row["destroyed"] for row in rows.values())
    # Every route the provider called met an error fault in some run, on each surface.
    for surface in SURFACES:
        called = {route for row in rows.values() if row["surface"] == surface for route in row.get("routes_called", [])}
        faulted = {
            route for row in rows.values() if row["surface"] == surface for route in row.get("routes_faulted", [])
        }
        assert SIZE.name == "ci" or called == faulted, f"{surface}: never faulted: {sorted(called - faulted)}"
