"""`python -m scripts.bench --size ci` runs end to end and prints every row of its table (no thresholds asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _row_keys() -> tuple[str, ...]:
    # Read the names from the package's source: importing it would import the engine's SDK twice over.
    source = (ROOT / "scripts" / "bench" / "common.py").read_text()
    block = source.split("ROW_KEYS = (", 1)[1].split("\n)", 1)[0]
    return tuple(line.strip().rstrip(",").strip('"') for line in block.strip().splitlines())


@pytest.mark.slow
@pytest.mark.e2e
def test_bench_ci_size_prints_every_row(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench", "--size", "ci", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # a shared, loaded machine can take several times the idle figure
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    keys = _row_keys()
    assert len(keys) >= 28
    table = done.stdout.rsplit("| measure | value | target | met |", 1)[1]
    for key in keys:
        assert f"| {key} |" in table, key
    written = out.read_text()
    assert all(f"| {key} |" in written for key in keys)
    assert "- commit: " in written
