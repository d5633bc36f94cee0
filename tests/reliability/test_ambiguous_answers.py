"""An ambiguous answer never changes what a stack knows: a 404 without a code (apiBase with /v1), a 401 (keys Stripe
never issued), a storm of 5xx (every call exhausts its retries) and keys of another account, met by refresh, update,
destroy and import, on both fronts and both surfaces. Each step fails naming Stripe's status, the Request-Id and a
fix (the 404 asks about /v1 in apiBase, the other account's key is refused naming both accounts), and every resource
of `pulumi stack export` stays byte for byte; once the cause is gone the stack converges, the import it refused
succeeds, and destroy leaves nothing. Each (class, operation) is a row of RELIABILITY.md, kept or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.reliability.ambiguous import END, FRONTS, OPERATIONS, ROW, Front, Row, run_class, unmeasured
from tests.reliability.conftest import Record
from tests.reliability.support import short
from tests.support.engine import EngineSandbox
from tests.support.surfaces import SURFACES, Surface

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT = 1200


@pytest.mark.parametrize("failure", ["unrouted", "unauthorized", "foreign"])
@pytest.mark.parametrize("front", FRONTS)
def test_an_ambiguous_answer_keeps_the_state_and_says_what_to_do(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, front: Front, failure: str, record: Record
) -> None:
    run_class(failure, front, surface, engine, tmp_path, lambda row: record("ambiguous", **row))


def run_worker(task: tuple[str, str]) -> tuple[list[Row], str | None]:
    """One storm run in a process of its own: (its rows, its failure or None)."""
    front, surface = task
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.ambiguous", "storm", front, surface],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    lines = done.stdout.splitlines()
    rows = [json.loads(line[len(ROW) :]) for line in lines if line.startswith(ROW)]
    ends = [json.loads(line[len(END) :]) for line in lines if line.startswith(END)]
    if not ends:
        return rows, f"the run gave no result (exit code {done.returncode}); its stderr: {short(done.stderr, 3000)}"
    error: str | None = ends[0]["error"]
    return rows, error


def test_a_storm_of_5xx_keeps_the_state_and_says_what_to_do(record: Record) -> None:
    """The storm on both fronts and both surfaces, side by side: each of its calls waits out every retry."""
    tasks = [(front, surface) for front in FRONTS for surface in SURFACES]
    with ThreadPoolExecutor(len(tasks)) as pool:
        results = list(pool.map(run_worker, tasks))
    failures = {}
    for (front, surface), (rows, error) in zip(tasks, results, strict=True):
        measured = {row["operation"] for row in rows}
        # A run that died leaves its remaining operations not kept, never unrecorded.
        rows += [
            unmeasured("storm", front, surface, operation, error or "not reached")
            for operation in OPERATIONS
            if operation not in measured
        ]
        for row in rows:
            record("ambiguous", **row)
        if error:
            failures[f"{front}, {surface}"] = error
    assert failures == {}, "\n\n".join(f"{task}:\n{error}" for task, error in failures.items())
