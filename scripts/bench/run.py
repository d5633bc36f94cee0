"""The run: every measure in one process, one emulator, then the table, the saved results and BENCHMARKS.md."""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import datetime
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from scripts.bench.common import ROW_KEYS, SIZES, Report, log
from scripts.bench.concurrency import bench_concurrency
from scripts.bench.engine import LARGE_STACK_ENV, ROOT, Stacks, emulator_process, put_noop_plugin_on_path
from scripts.bench.hashing import bench_hashing
from scripts.bench.overhead import bench_overhead
from scripts.bench.report import machine_facts, table, write_markdown
from scripts.bench.request_counts import bench_requests
from scripts.bench.rollout import bench_rollout
from scripts.bench.scale import bench_scale

PARTS = ("hashing", "requests", "overhead", "concurrency", "rollout", "scale")


def compile_packages() -> None:
    """Bytecode for the packages, as installing a wheel leaves it: with PYTHONDONTWRITEBYTECODE set (CI images
    set it) an editable install has none, and every provider process would compile our modules first."""
    for package in ("provider", "emulator", "devtools"):
        compileall.compile_dir(ROOT / package, quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description="Benchmarks, side by side in one run.")
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", type=Path, help="where to write the report (default: BENCHMARKS.md for full)")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only these measures (repeatable)")
    parser.add_argument("--render", type=Path, help="write the report from a saved results file; measure nothing")
    args = parser.parse_args(argv)
    if args.render is not None:
        out = args.out or (ROOT / "BENCHMARKS.md")
        write_markdown(out, json.loads(args.render.read_text()))
        log(f"wrote {out}")
        return 0
    size = SIZES[args.size]
    out = args.out or (ROOT / "BENCHMARKS.md" if size.name == "full" and not args.only else None)
    parts = args.only or list(PARTS)
    put_noop_plugin_on_path()
    compile_packages()
    started = datetime.datetime.now().astimezone()
    begin = time.monotonic()
    report = Report()
    print("| measure | value | target | met |\n|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="stripe-apps-bench-") as tmp:
        work = Path(tmp)
        if "hashing" in parts:
            bench_hashing(report, size, work)
            shutil.rmtree(work / "fp-app")
        if "requests" in parts:
            bench_requests(report, work)
        with emulator_process(work) as emulator:
            stacks = Stacks(work, emulator.config())
            if "overhead" in parts:
                bench_overhead(report, size, work, stacks, emulator)
            if "concurrency" in parts:
                bench_concurrency(report, size, work, stacks, emulator)
            if "rollout" in parts:
                bench_rollout(report, size, work, stacks, emulator)
        if "scale" in parts:  # its own emulator: the objects of the other measures stay out of its lookups
            (work / "scale").mkdir()
            with emulator_process(work / "scale") as emulator:
                stacks = Stacks(work / "scale", emulator.config(), env=LARGE_STACK_ENV)
                bench_scale(report, size, work, stacks, emulator)
    report.rows.sort(key=lambda row: ROW_KEYS.index(row.key))
    print("\n" + "\n".join(table(report.rows)), flush=True)
    results = {
        "size": size.name,
        "started": started.isoformat(timespec="seconds"),
        "seconds": time.monotonic() - begin,
        "machine": machine_facts(),
        "rows": [dataclasses.asdict(row) for row in report.rows],
        "sections": report.sections,
    }
    saved = Path(os.environ.get("STRIPE_APPS_STATE", ROOT / ".state")) / "bench" / f"results-{size.name}.json"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(results, indent=2))
    log(f"saved {saved}")
    if out is not None:
        write_markdown(out, results)
        log(f"wrote {out}")
    return 0
