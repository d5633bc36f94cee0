"""Rollout at the floor: one app installed on N connected accounts in live mode through the native front (a YAML
program), the emulator's rate limits on, `--parallel` chosen by the README's rule, against the larger of two floors
from the same run: the rate floor (the requests the rollout needs over the limit that binds them) and the engine's
floor (`pulumi-resource-noop` declaring as many resources at the same --parallel)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from scripts.bench.common import Report, Row, Size, log
from scripts.bench.engine import CLOCK_NOTE, LARGE_STACK_ENV, Emulator, Stacks, command_seconds, write_yaml_program
from scripts.bench.request_counts import MINIMUMS
from tests.support.apps import write_app

TARGET = 1.25
# Stripe's documented limits, which the emulator models (its defaults): requests per second per account in live
# mode, and per account and endpoint (one operation, any id).
LIVE_LIMIT = 100
ENDPOINT_LIMIT = 25
PROBE_INSTALLS = 20
HEADROOM = 2  # the rule's margin: the backoff paces what is beyond the limit
INSTALL_TYPE = "stripe-apps:index:AppInstallation"
_ID = re.compile(r"/[a-z]+_[A-Za-z0-9_]+")
SIZE_NAMES = ("smallest", "middle", "largest")
# What one install may send at most, by endpoint (MINIMUMS["full"]["create install"] says why); installs of one app at
# once share their Version History reads (shared_reads.py), so that endpoint usually sees fewer.
HISTORY_ENDPOINT = "GET /v1/apps/uploads"
PER_INSTALL = ("POST /v1/apps/installs", "GET /v1/apps/installs/{id}", HISTORY_ENDPOINT)


def choose_parallel(seconds_per_install: float, limit: int = ENDPOINT_LIMIT) -> int:
    """The README's rule: twice the installs in flight that would keep the binding limit busy, the limit (per
    second) times the seconds one install adds to an up when nothing waits (an up at --parallel 1 less a no-op up
    of the same stack, divided by its installs), and at least 2. The margin covers what a busy engine adds to each
    install; the provider's backoff paces what goes beyond the limit."""
    return max(2, math.ceil(HEADROOM * limit * seconds_per_install))


def _rollout_program(project: Path, app_dir: Path, accounts: list[str]) -> None:
    resources: dict[str, Any] = {
        "helper": {"type": "stripe-apps:index:AppVersion", "properties": {"appDir": str(app_dir)}}
    }
    for account in accounts:
        resources[f"install-{account}"] = {
            "type": INSTALL_TYPE,
            "properties": {
                "app": "${helper.app}",
                "version": "${helper.version}",
                "mode": "live",
                "account": account,
                "requestedAccess": "${helper.requestedAccess}",
            },
        }
    write_yaml_program(project, project.name, resources)


def _floor_program(project: Path, accounts: list[str]) -> None:
    resources: dict[str, Any] = {"helper": {"type": "noop:index:Thing", "properties": {"label": "helper"}}}
    for account in accounts:
        resources[f"install-{account}"] = {"type": "noop:index:Thing", "properties": {"label": "${helper.label}"}}
    write_yaml_program(project, project.name, resources)


def _endpoint(entry: dict[str, Any]) -> str:
    return f"{entry['method']} {_ID.sub('/{id}', entry['path'].split('?', 1)[0])}"


def _api_endpoints(emulator: Emulator) -> Counter[str]:
    """The API requests in the emulator's log (control-plane calls left out) that were not refused with 429."""
    return Counter(
        _endpoint(entry)
        for entry in emulator.control.requests()
        if not entry["path"].startswith("/_emulator") and entry["status"] != 429
    )


def beyond_the_minimum(served: Counter[str], version: Counter[str], installs: int) -> int:
    """Requests over what the rollout needs at most: the version's own, and one of each of PER_INSTALL per install,
    counted endpoint by endpoint (a read saved on one endpoint does not hide an extra request on another)."""
    allowed = version + Counter({endpoint: installs for endpoint in PER_INSTALL})
    return sum(max(0, count - allowed[endpoint]) for endpoint, count in served.items())


def _up(stack: auto.Stack, parallel: int) -> tuple[float, str]:
    """Seconds, and the engine's error if the up failed (the row counts what it left undone)."""
    error = ""

    def run() -> None:
        nonlocal error
        try:
            stack.up(parallel=parallel)
        except auto.CommandError as failed:
            error = str(failed).strip().splitlines()[-1][:300]

    return command_seconds(stack, run), error


def _installed(stack: auto.Stack) -> int:
    resources = stack.export_stack().deployment.get("resources", [])
    return len([r for r in resources if r["type"] == INSTALL_TYPE and r.get("id")])


@dataclass(frozen=True)
class Probe:
    version_requests: Counter[str]  # what an up of the version alone sent, by endpoint
    seconds: float  # an up of PROBE_INSTALLS installs at --parallel 1, no limit on
    fixed: float  # a no-op up of the same stack


def _probe(work: Path, stacks: Stacks, emulator: Emulator, platform: str) -> Probe:
    # The rule's input, measured in this run with no limit on: an up of a few installs one at a time, net of a
    # no-op up of the same stack (the engine's fixed part). The version alone first: its own requests.
    emulator.control.rate_limits(enabled=False)
    probe = work / "rollout" / "probe"
    probe_app = write_app(work / "rollout" / "app-probe", app_id="com.bench.probe")
    _rollout_program(probe, probe_app, [])
    probe_stack = stacks.sandbox.project_stack(
        probe, stack="bench", config=stacks.config, env=stacks.env | LARGE_STACK_ENV
    )
    emulator.control.clear_requests()
    probe_stack.up(parallel=1)
    version_requests = _api_endpoints(emulator)
    probe_accounts = [emulator.control.create_account(connected_to=platform)["account"] for _ in range(PROBE_INSTALLS)]
    _rollout_program(probe, probe_app, probe_accounts)
    seconds, error = _up(probe_stack, 1)
    if error:
        raise RuntimeError(f"rollout probe failed: {error}")
    fixed, _ = _up(probe_stack, 1)
    return Probe(version_requests, seconds, fixed)


@dataclass(frozen=True)
class Outcome:
    """One rollout of `count` accounts and its engine floor."""

    wall: float
    engine_floor: float
    rate_floor: float
    failed: int
    extra: int
    served: int
    limited: int
    history_reads: int
    busiest: str
    busiest_count: int
    error: str

    @property
    def larger(self) -> float:
        return max(self.rate_floor, self.engine_floor)

    @property
    def ratio(self) -> float:
        return self.wall / self.larger


def _rollout_once(
    work: Path,
    stacks: Stacks,
    emulator: Emulator,
    *,
    platform: str,
    count: int,
    parallel: int,
    version_requests: Counter[str],
    run: int,
) -> Outcome:
    """A rollout to `count` new connected accounts (a new app and project each run), then its engine floor."""
    control = emulator.control
    accounts = [control.create_account(connected_to=platform)["account"] for _ in range(count)]
    tag = f"{count}-{run}"
    project = work / "rollout" / f"accounts-{tag}"
    _rollout_program(
        project, write_app(work / "rollout" / f"app-{tag}", app_id=f"com.bench.roll{count}x{run}"), accounts
    )
    _floor_program(work / "rollout" / f"floor-{tag}", accounts)
    ours = stacks.sandbox.project_stack(project, stack="bench", config=stacks.config, env=stacks.env | LARGE_STACK_ENV)
    floor = stacks.sandbox.project_stack(
        work / "rollout" / f"floor-{tag}", stack="bench", env=stacks.env | LARGE_STACK_ENV
    )
    log(f"rollout: {count} accounts, --parallel {parallel}, limits on (run {run + 1})")
    control.rate_limits(enabled=True, live=LIVE_LIMIT, endpoint=ENDPOINT_LIMIT)
    control.clear_requests()
    wall, error = _up(ours, parallel)
    sent = control.requests()
    control.rate_limits(enabled=False)
    log(f"rollout: the engine's floor, {count + 1} do-nothing resources, --parallel {parallel}")
    engine_floor, floor_error = _up(floor, parallel)
    if floor_error:
        raise RuntimeError(f"rollout floor failed: {floor_error}")
    api = [entry for entry in sent if not entry["path"].startswith("/_emulator")]
    served = [entry for entry in api if entry["status"] != 429]
    by_endpoint = Counter(_endpoint(entry) for entry in served)
    busiest, busiest_count = by_endpoint.most_common(1)[0]
    return Outcome(
        wall=wall,
        engine_floor=engine_floor,
        rate_floor=max(busiest_count / ENDPOINT_LIMIT, len(served) / LIVE_LIMIT),
        failed=count - _installed(ours),
        extra=beyond_the_minimum(by_endpoint, version_requests, count),
        served=len(served),
        limited=len(api) - len(served),
        history_reads=by_endpoint[HISTORY_ENDPOINT] - version_requests[HISTORY_ENDPOINT],
        busiest=busiest,
        busiest_count=busiest_count,
        error=error,
    )


def bench_rollout(report: Report, size: Size, work: Path, stacks: Stacks, emulator: Emulator) -> None:
    control = emulator.control
    platform = control.keys()["default"]["account"]
    per_install, why = MINIMUMS["full"]["create install"]
    if per_install != len(PER_INSTALL):
        raise RuntimeError(f"MINIMUMS says {per_install} requests per install, PER_INSTALL names {len(PER_INSTALL)}")
    probe = _probe(work, stacks, emulator, platform)
    version_requests, seconds, fixed = probe.version_requests, probe.seconds, probe.fixed
    seconds_per_install = max(seconds - fixed, 0.0) / PROBE_INSTALLS
    parallel = choose_parallel(seconds_per_install)
    log(f"rollout: {1000 * seconds_per_install:.0f} ms per install at --parallel 1 -> --parallel {parallel}")
    lines = [
        f"one AppVersion and N AppInstallations in live mode on N connected accounts (`account`), a YAML program "
        f"through `pulumi-resource-stripe-apps`; the emulator's limits on: {LIVE_LIMIT}/s per account in live mode, "
        f"{ENDPOINT_LIMIT}/s per account and endpoint, charged to the platform's key. --parallel {parallel} by the "
        f"README's rule: max(2, ceil({HEADROOM} x {ENDPOINT_LIMIT}/s x {seconds_per_install:.3f} s)), the last "
        "figure what one install adds to an up at "
        f"--parallel 1 with no limit: an up of {PROBE_INSTALLS} installs, {seconds:.2f} s, less a no-op up, "
        f"{fixed:.2f} s, in this run)",
        f"the most the rollout needs: the version's own requests ({version_requests.total()}, an up of the version "
        f"alone) + {per_install} per install ({why}), counted by endpoint; installs of one app at once share their "
        f"`{HISTORY_ENDPOINT}` reads (each read starts after every install it serves asked), so fewer is usual",
        "rate floor: the most requests on one endpoint / its limit, or all requests / the account's live limit, "
        "whichever is longer; engine floor: `pulumi-resource-noop` declaring as many resources, same --parallel; "
        "`PULUMI_SKIP_CHECKPOINTS=true` on both (the file backend otherwise rewrites the whole state after every "
        "step); " + CLOCK_NOTE,
        "| accounts | wall (s) | rate floor (s) | engine floor (s) | wall / larger floor | failed | sent (not 429) "
        "| at most | Version History reads | 429s | busiest endpoint | every run's ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, count, runs in zip(SIZE_NAMES, size.rollout, size.rollout_runs, strict=True):
        outcomes = [
            _rollout_once(
                work,
                stacks,
                emulator,
                platform=platform,
                count=count,
                parallel=parallel,
                version_requests=version_requests,
                run=run,
            )
            for run in range(runs)
        ]
        # The run of median ratio stands for the size, all its figures from that one run; failures and requests
        # beyond the minimum are the worst of any run.
        outcome = sorted(outcomes, key=lambda each: each.ratio)[len(outcomes) // 2]
        failed = max(each.failed for each in outcomes)
        extra = max(each.extra for each in outcomes)
        limited = max(each.limited for each in outcomes)
        most = version_requests.total() + per_install * count
        lines.append(
            f"| {count} | {outcome.wall:.2f} | {outcome.rate_floor:.2f} | {outcome.engine_floor:.2f} | "
            f"{outcome.ratio:.2f}x | {failed} | {outcome.served} | {most} | {outcome.history_reads} for {count} "
            f"installs | {outcome.limited} | `{outcome.busiest}` x {outcome.busiest_count} | "
            f"{', '.join(f'{each.ratio:.2f}x' for each in outcomes)} |"
        )
        note = ""
        if outcome.ratio > TARGET:
            bound = "the rate floor" if outcome.rate_floor >= outcome.engine_floor else "the engine's floor"
            note = (
                f"{outcome.wall:.2f} s against {bound}'s {outcome.larger:.2f} s at --parallel {parallel}; "
                f"{outcome.limited} requests refused with 429 and retried after a backoff; the engine's floor "
                f"{outcome.engine_floor:.2f} s: its start-up, before the first request, cannot overlap the paced ones"
            )
        of_runs = f", the median of {runs} runs" if runs > 1 else ""
        report.add(
            Row(
                f"rollout ({name}): wall time / the larger floor",
                f"{outcome.ratio:.2f}x ({count} accounts: {outcome.wall:.2f} s / {outcome.larger:.2f} s; rate floor "
                f"{outcome.rate_floor:.2f} s, engine floor {outcome.engine_floor:.2f} s{of_runs})",
                f"<= {TARGET}x",
                outcome.ratio <= TARGET,
                note,
            )
        )
        errors = "; ".join(sorted({each.error for each in outcomes if each.error}))
        report.add(
            Row(
                f"rollout ({name}): failed resources, requests beyond the minimum",
                f"{failed} failed, {extra} beyond the {most} it needs at most ({limited} 429s counted apart)"
                + (f", the worst of {runs} runs" if runs > 1 else ""),
                "0, 0",
                failed == 0 and extra <= 0,
                f"the up's error: {errors}" if errors else "",
            )
        )
    report.section("rollout", lines)
