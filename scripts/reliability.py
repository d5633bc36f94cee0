"""Runs the full-size reliability suite and writes its figures to RELIABILITY.md (`make reliability`).

Every figure is computed from every row the suite wrote, passed or failed: a run that did not converge
counts as not converged, a row missing a measurement is shown as not measured, never as 0. The file names
the commit it measured; `--check` says whether provider/ or emulator/ changed since (then run it again).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "STRIPE_APPS_RELIABILITY_SIZE=full pytest tests/reliability"
MEASURED = ("provider", "emulator", "devtools", "tests/reliability", "tests/support")
COMMIT_LINE = re.compile(r"^- commit: `([0-9a-f]+)`", re.MULTILINE)

Row = dict[str, Any]


def run_suite(size: str, report: Path) -> tuple[int, float]:
    env = {**os.environ, "STRIPE_APPS_RELIABILITY_SIZE": size, "STRIPE_APPS_RELIABILITY_REPORT": str(report)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/reliability"],
        cwd=ROOT,
        env=env,
        check=False,
    )
    return done.returncode, time.monotonic() - started


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()


def commit() -> str:
    """The commit measured, and any uncommitted change in what the figures depend on."""
    head = git("rev-parse", "--short=12", "HEAD")
    dirty = sorted({line[3:].split("/")[0] for line in git("status", "--porcelain", "--", *MEASURED).splitlines()})
    return f"`{head}`" + (f" with uncommitted changes in {', '.join(dirty)}" if dirty else " (clean)")


def machine() -> dict[str, str]:
    pulumi = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=False).stdout.strip()
    return {"nproc": str(os.cpu_count()), "python": platform.python_version(), "pulumi": pulumi or "not found"}


def rows_of(report: Path) -> list[Row]:
    if not report.exists():
        return []
    return [json.loads(line) for line in report.read_text().splitlines() if line.strip()]


def _of(rows: Iterable[Row], *kinds: str) -> list[Row]:
    return [row for row in rows if row.get("kind") in kinds]


def ratio(rows: list[Row], key: str) -> str:
    return f"{sum(bool(row.get(key)) for row in rows)}/{len(rows)}"


def loss(rows: list[Row], key: str) -> str:
    """A sum that must be 0; rows that never measured it are named, not counted as 0."""
    measured = [row[key] for row in rows if isinstance(row.get(key), int | float)]
    unmeasured = len(rows) - len(measured)
    text = str(sum(measured))
    if unmeasured:
        text += f" ({unmeasured} run{'s' if unmeasured != 1 else ''} not measured)"
    return text


def by(rows: list[Row], key: str) -> str:
    counts = Counter(str(row.get(key)) for row in rows)
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def kept(rows: list[Row], key: str, what: str) -> str:
    """A ratio that must be whole; the rows that fall short are named: class and operation, with the fronts and
    surfaces where they fell short ("everywhere" when that is every one the rows cover)."""
    if not rows:
        return "not run"
    places = {f"{row.get('front')}/{row.get('surface')}" for row in rows}
    short: dict[str, list[str]] = {}
    for row in rows:
        if not row.get(key):
            short.setdefault(f"{row.get('class')} {row.get('operation')}", []).append(
                f"{row.get('front')}/{row.get('surface')}"
            )
    named = [
        f"{case} ({'everywhere' if len(places) > 1 and set(where) == places else ', '.join(sorted(where))})"
        for case, where in short.items()
    ]
    return ratio(rows, key) + (f"; **{what}: {', '.join(named)}**" if named else "")


def figures(rows: list[Row]) -> dict[str, str]:
    """Every figure of the report, from the rows alone."""
    faults, crashes = _of(rows, "faults"), _of(rows, "crash")
    fuzz, checks, secrets, limits = (_of(rows, kind) for kind in ("fuzz_engine", "fuzz_check", "secrets", "limits"))
    ambiguous = _of(rows, "ambiguous")
    requests = sum(row.get("requests", 0) for row in faults)
    errors = sum(row.get("error_faults", 0) for row in faults)
    latency = sum(row.get("latency_faults", 0) for row in faults)
    routes = {route for row in faults for route in row.get("routes_faulted", [])}
    stripe_faults = [row for row in faults if row.get("surface") == "stripe"]
    attempts = Counter(row.get("up_attempts", 0) for row in faults)
    with_creates = faults + crashes + limits
    return {
        "fault_runs": f"{len(faults)} ({by(faults, 'front')}; {by(faults, 'surface')})",
        "fault_rate": f"{errors}/{requests} = {errors / requests:.0%}" if requests else "no requests measured",
        "latency_faults": str(latency),
        "routes_faulted": str(len(routes)),
        "cli_faults": f"{sum(row.get('cli_faults', 0) for row in stripe_faults)} in "
        f"{sum(row.get('cli_runs', 0) for row in stripe_faults)} uploads",
        "converged": ratio(faults, "converged"),
        "up_attempts": ", ".join(
            f"{n} up{'s' if n != 1 else ''}: {count}" if n else f"never: {count}"
            for n, count in sorted(attempts.items(), key=lambda item: item[0] or 99)
        ),
        "destroyed": ratio(faults, "destroyed"),
        "kill_points": f"{len(crashes)} ({by(crashes, 'operation')}; {by(crashes, 'front')}; {by(crashes, 'surface')})",
        "killed": ratio(crashes, "killed"),
        "recovered": ratio(crashes, "recovered"),
        "leaked": loss(crashes, "leaked"),
        "hosts_exit_s": f"{max((row.get('hosts_exit_s') or 0.0) for row in crashes):.2f}" if crashes else "-",
        "stock_hosts_left": f"{sum(len(row.get('stock_hosts_left') or []) for row in crashes)} "
        f"(in {sum(bool(row.get('stock_hosts_left')) for row in crashes)} of {len(crashes)} kills)",
        "pending": str(sum(bool(row.get("pending_operations")) for row in crashes)),
        "checkpoint_restored": str(sum(bool(row.get("checkpoint_restored")) for row in crashes)),
        "excess_creates": loss(with_creates, "excess_creates"),
        "duplicate_objects": loss(with_creates, "duplicate_objects"),
        "orphans": loss(with_creates, "orphans"),
        "missing": loss(with_creates, "missing"),
        "fuzz_engine": f"{sum(row.get('cases', 0) for row in fuzz)} ({sum(row.get('passed', 0) for row in fuzz)} "
        f"passed, {sum(row.get('check_failures', 0) for row in fuzz)} CheckFailures naming a property; seed "
        f"{', '.join(str(row.get('seed')) for row in fuzz) or '-'})",
        "fuzz_wrong": loss(fuzz, "wrong_reports"),
        "fuzz_check": f"{sum(row.get('cases', 0) for row in checks)} (seed "
        f"{', '.join(str(row.get('seed')) for row in checks) or '-'})",
        "fuzz_check_failures": loss(checks, "failures"),
        "tracebacks": loss(fuzz + faults + crashes, "tracebacks"),
        "secrets": f"{loss(secrets, 'found')} (of {sum(row.get('secrets', 0) for row in secrets)} secrets; "
        f"{by(secrets, 'surface')} runs)",
        "limits": "; ".join(
            f"{row.get('surface')}: {row.get('resources')} resources, {row.get('rate_limited')} "
            f"429s at {row.get('test_limit_per_s')}/s, {row.get('failures')} failed"
            for row in limits
        )
        or "not run",
        "limit_failures": loss(limits, "failures"),
        "ambiguous_kept": kept(ambiguous, "state_kept", "not kept"),
        "ambiguous_reported": kept(ambiguous, "reported", "not reported so"),
        "failed_rows": str(sum(row.get("outcome", "passed") != "passed" for row in rows)),
    }


def render(rows: list[Row], exit_code: int, seconds: float, size: str, commit: str) -> str:
    found = figures(rows)
    facts = machine()
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = [
        ("seeded fault runs (`pulumi up` until it converges, max 6; then `destroy` under faults)", "fault_runs"),
        ("fault rate: requests that met an error fault / API requests, every route", "fault_rate"),
        ("latency faults (apart from the rate)", "latency_faults"),
        ("routes that met an error fault", "routes_faulted"),
        ("Stripe CLI stand-in failures (before or after its upload landed)", "cli_faults"),
        ("converged (an `up` succeeded, then `preview --expect-no-changes` without faults)", "converged"),
        ("`up`s needed", "up_attempts"),
        ("destroyed under faults, nothing left", "destroyed"),
        ("kill points (SIGKILL of `pulumi` after the N-th API request of the operation)", "kill_points"),
        ("killed mid-operation", "killed"),
        ("recovered (`cancel`, `refresh`, `up`/`destroy`, then `preview --expect-no-changes`)", "recovered"),
        ("**hosts left running after the engine was killed** (10 s later)", "leaked"),
        ("slowest exit of the hosts after the kill, seconds", "hosts_exit_s"),
        (
            "Pulumi's stock YAML host still running then (native front; not counted above: it exits at its "
            "5-minute engine health check)",
            "stock_hosts_left",
        ),
        ("kills that left pending operations", "pending"),
        ("checkpoints restored from `.bak`", "checkpoint_restored"),
        ("**create attempts beyond the plan** (request log; one idempotency key = one attempt)", "excess_creates"),
        (
            "**duplicate objects** (uploads per version, installs per app+account+mode, secrets per name+scope)",
            "duplicate_objects",
        ),
        ("**orphans** (uploads, installs or secrets the stack does not know)", "orphans"),
        ("**missing** (stack resources the API lacks)", "missing"),
        ("fuzz cases through `pulumi preview`", "fuzz_engine"),
        ("**fuzz cases reported wrongly** (no property named, another error, a traceback)", "fuzz_wrong"),
        ("fuzz cases through `check()` in process", "fuzz_check"),
        ("**fuzz cases failing in process**", "fuzz_check_failures"),
        ("**tracebacks shown to the user** (fuzz, faults, kills)", "tracebacks"),
        ("**secrets in plain text** (state, backend files, -v=9 logs, errors, provider pickles)", "secrets"),
        ("rate limit storm at `--parallel 32`", "limits"),
        ("**resources the storm failed to make**", "limit_failures"),
        (
            "state kept on ambiguous answers (404 without a code, 401, 5xx after retries, another account's key; "
            "refresh, update, destroy, import; both fronts)",
            "ambiguous_kept",
        ),
        ("ambiguous answers reported with Stripe's status and message, the Request-Id and a fix", "ambiguous_reported"),
        ("rows whose test failed", "failed_rows"),
    ]
    lines = [
        "# Reliability figures",
        "",
        "Generated by `make reliability` (`python scripts/reliability.py`) only; do not edit by hand.",
        "",
        f"- commit: {commit}",
        f"- command: `{COMMAND}`" + ("" if size == "full" else f" (this run: size `{size}`)"),
        f"- date: {today}; suite exit code {exit_code}; {seconds / 60:.1f} minutes",
        f"- machine: {facts['nproc']} cores, Python {facts['python']}, pulumi {facts['pulumi']}",
        "",
        "| what | figure |",
        "|---|---|",
        *(f"| {label} | {found[key]} |" for label, key in table),
        "",
        "Bold rows are losses and must read 0. Each figure is computed from the JSON rows the tests append to",
        "`$STRIPE_APPS_RELIABILITY_REPORT` whatever their outcome: a failed run counts as not converged or not",
        "recovered, and a measurement a failed run never reached shows as not measured. Both surfaces run (`full`:",
        "the emulator's every route; `stripe`: Stripe's public surface with the Stripe CLI stand-in). Hosts left",
        "running: the processes `pulumi` started (language host, program, dynamic-provider host) that still run 10 s",
        "after it was killed; on this machine devtools' engine watch stops them (Pulumi's stock Python hosts do not",
        "watch the engine: `tests/reliability/test_figures_move.py` shows them left running without it). State kept:",
        "each (failure class, operation, front, surface) leaves every resource of `pulumi stack export` as it was",
        "(`tests/reliability/test_ambiguous_answers.py`); a row that does not is named in bold.",
        "",
    ]
    return "\n".join(lines)


def stale() -> str | None:
    """Why RELIABILITY.md no longer describes the code, or None when it does."""
    path = ROOT / "RELIABILITY.md"
    if not path.exists():
        return "RELIABILITY.md does not exist"
    text = path.read_text()
    found = COMMIT_LINE.search(text)
    if found is None:
        return "RELIABILITY.md names no commit"
    if "uncommitted changes" in text.split("\n- command:", 1)[0]:
        return f"RELIABILITY.md measured {found.group(1)} with uncommitted changes"
    changed = git("diff", "--name-only", found.group(1), "HEAD", "--", *MEASURED)
    return f"changed since {found.group(1)}: {', '.join(changed.splitlines()[:8])}" if changed else None


def main() -> int:
    if sys.argv[1:] == ["--check"]:
        problem = stale()
        print(problem or "RELIABILITY.md measured today's code")
        return 1 if problem else 0
    if sys.argv[1:]:
        print("usage: python scripts/reliability.py [--check]", file=sys.stderr)
        return 2
    size = os.environ.get("STRIPE_APPS_RELIABILITY_SIZE", "full")
    report = Path(os.environ.get("STRIPE_APPS_STATE", ROOT / ".state")) / "reliability-figures.jsonl"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("")
    measured = commit()
    exit_code, seconds = run_suite(size, report)
    rows = rows_of(report)
    (ROOT / "RELIABILITY.md").write_text(render(rows, exit_code, seconds, size, measured))
    print(f"wrote RELIABILITY.md ({len(rows)} figure rows, suite exit code {exit_code}, {seconds / 60:.1f} min)")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
