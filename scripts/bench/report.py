"""The results table and BENCHMARKS.md: every figure and every number in a note comes from the run writing it."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scripts.bench.common import SIZES, Row, mark

ROOT = Path(__file__).resolve().parents[2]
TITLES = {
    "scale native": "1. Scale: native front",
    "scale memory native": "1b. Scale: native front, memory",
    "scale dynamic": "1c. Scale: dynamic front",
    "scale memory dynamic": "1d. Scale: dynamic front, memory",
    "scale limit dynamic": "1e. Scale: how far the dynamic front goes",
    "overhead": "2. Overhead next to the floor",
    "concurrency": "3. Concurrency against the floor",
    "rollout": "3b. Rollout at the rate limit",
    "hashing": "4. Hashing",
    "requests": "5. Requests per operation",
}
# How the run is made; no figures here (those come from the run).
METHOD_NOTES = [
    "Every ratio is of two things timed in turn in this run (A, B, A, B ...), so a drift of the shared machine's "
    "speed weighs on both sides; absolute seconds are for context only.",
    "The emulator runs as its own process (rate limits off, transitions immediate) on the same cores, so its CPU "
    "competes with the engine's. Requests are counted from its request log, control-plane calls excluded.",
    "The floors load none of our code: `Noop` (dynamic) is a `pulumi.dynamic` resource that stores its input, "
    "`noop:index:Thing` is served by `pulumi-resource-noop` (devtools, Python grpc with the same pool size as "
    "`pulumi-resource-stripe-apps`), which answers every RPC from its request.",
    "Installs are spread over the apps and the three modes; Stripe keeps one install per account, mode and app, "
    "so several install resources can share one Stripe install. Each resource still makes its own calls, which "
    "is what is measured.",
    "Scale runs the package as users install it: `resources/base.py` (`restore_pickler`) undoes the pickler "
    "wrapper Pulumi's `serialize_provider` leaves after each dynamic resource, and `resources/collection.py` makes "
    "full garbage collections wait while a program of ours runs, so nothing in the bench works around either. "
    "Programs run back to back in the bench's process, as in a long-lived Automation API host, with nothing done "
    "to the heap between them: what a program leaves for the collector is reclaimed by the next full collection, "
    "in whichever run it falls. The floors are not our programs, so they run with Python's own collection "
    "settings, as any other program in the host does.",
]


def commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "provider", "emulator", "devtools", "scripts")
    return head + (" (with uncommitted changes to provider/emulator/devtools/scripts)" if dirty else "")


def machine_facts() -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return [
        f"- commit: {commit()}",
        f"- nproc: {os.cpu_count()}",
        f"- CPU: {cpu}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python: {platform.python_version()}",
        f"- Pulumi CLI: {_first_line(['pulumi', 'version'])}; Python SDK: {version('pulumi')}",
        f"- openssl: {_first_line(['openssl', 'version'])}; sha256sum: {_first_line(['sha256sum', '--version'])}",
    ]


def _first_line(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout.splitlines() or ["unknown"])[0]


def table(rows: list[Row]) -> list[str]:
    lines = ["| measure | value | target | met |", "|---|---|---|---|"]
    lines += [f"| {row.key} | {row.value} | {row.target} | {mark(row.met)} |" for row in rows]
    return lines


def _blocks(body: list[str]) -> list[str]:
    """A blank line wherever text meets a table, so Markdown renders the tables."""
    out: list[str] = []
    for line in body:
        if out and out[-1] and line and out[-1].startswith("|") != line.startswith("|"):
            out.append("")
        out.append(line)
    return out


def write_markdown(path: Path, results: dict[str, Any]) -> None:
    size = SIZES[results["size"]]
    command = "make bench" if size.name == "full" else "make bench-ci"
    rows = [Row(**row) for row in results["rows"]]
    lines = [
        "# Benchmarks",
        "",
        "The provider's cost and limits next to the engine's floor (issues #8, #17), measured side by side in one",
        "run, which wrote this file. The machine is shared and noisy: compare the ratios, not the absolute seconds.",
        "",
        f"- command: `{command}` (`python -m scripts.bench --size {size.name}`), {results['seconds'] / 60:.1f} minutes",
        f"- date: {results['started']}",
        *results["machine"],
        "",
        "## Results",
        "",
        *table(rows),
    ]
    for name, title in TITLES.items():
        if name in results["sections"]:
            lines += ["", f"## {title}", "", *_blocks(results["sections"][name])]
    missed = [row for row in rows if row.met is False]
    lines += ["", "## Notes", ""]
    for row in missed:
        lines.append(
            f"- **{row.key}** ({row.value}, target {row.target}): {row.note or 'no cause identified by this run.'}"
        )
    if not missed:
        lines.append("- Every target with a threshold was met in this run.")
    lines += [f"- **{row.key}** ({row.value}): {row.note}" for row in rows if row.met is None and row.note]
    lines += [f"- {note}" for note in METHOD_NOTES]
    path.write_text("\n".join(lines) + "\n")
