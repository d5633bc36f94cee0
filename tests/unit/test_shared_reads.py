"""Concurrent reads of one thing share a request that started after each of them asked; nothing is kept."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pulumi_stripe_apps import uploads
from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.http import StripeHttp
from pulumi_stripe_apps.settings import Settings
from pulumi_stripe_apps.shared_reads import SharedReads

WAIT = 10.0  # a bound on each handshake below; every one completes at once unless the code under test is wrong


class ParkedCallers:
    """Events that count the callers parked on them: a test knows when every caller waits, without timing."""

    def __init__(self) -> None:
        self.parked = threading.Semaphore(0)

    def event(self) -> threading.Event:
        parked = self.parked

        class Counted(threading.Event):
            def wait(self, timeout: float | None = None) -> bool:
                parked.release()
                return super().wait(timeout)

        return Counted()

    def await_parked(self, count: int) -> None:
        for _ in range(count):
            assert self.parked.acquire(timeout=WAIT), "a caller never came to wait"


class Reads:
    """A read that blocks until the test lets it finish; each one answers its own number."""

    def __init__(self) -> None:
        self.started: list[threading.Event] = [threading.Event() for _ in range(8)]
        self.finish: list[threading.Event] = [threading.Event() for _ in range(8)]
        self._numbers = itertools.count()

    def __call__(self) -> int:
        number = next(self._numbers)
        self.started[number].set()
        assert self.finish[number].wait(WAIT)
        return number


def run(call: Callable[[], Any], results: list[Any]) -> threading.Thread:
    def target() -> None:
        try:
            results.append(call())
        except StripeAppsError as error:
            results.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_callers_that_arrive_during_a_read_share_the_next_one_not_the_running_one() -> None:
    callers, reads = ParkedCallers(), Reads()
    shared: SharedReads[str, int] = SharedReads(callers.event)
    first: list[Any] = []
    leader = run(lambda: shared.get("app_1", reads), first)
    assert reads.started[0].wait(WAIT)
    later: list[Any] = []
    threads = [run(lambda: shared.get("app_1", reads), later) for _ in range(5)]
    callers.await_parked(5)  # one waits for the running read to end, four for the next read
    reads.finish[0].set()
    assert reads.started[1].wait(WAIT)
    reads.finish[1].set()
    for thread in [leader, *threads]:
        thread.join(WAIT)
    assert first == [0]
    assert later == [1] * 5  # all five from one read, and it started after each of them asked
    assert not reads.started[2].is_set()


def test_nothing_is_kept_a_caller_after_a_read_reads_again() -> None:
    numbers = itertools.count()
    shared: SharedReads[str, int] = SharedReads()
    assert [shared.get("app_1", lambda: next(numbers)) for _ in range(3)] == [0, 1, 2]


def test_other_keys_read_on_their_own() -> None:
    callers, reads = ParkedCallers(), Reads()
    shared: SharedReads[str, int] = SharedReads(callers.event)
    results: list[Any] = []
    first = run(lambda: shared.get("app_1", reads), results)
    assert reads.started[0].wait(WAIT)
    other = run(lambda: shared.get("app_2", reads), results)
    assert reads.started[1].wait(WAIT)  # not held behind app_1's read
    reads.finish[1].set()
    other.join(WAIT)
    reads.finish[0].set()
    first.join(WAIT)
    assert results == [1, 0]


def test_callers_who_arrive_during_a_failing_read_get_the_next_read() -> None:
    callers = ParkedCallers()
    shared: SharedReads[str, int] = SharedReads(callers.event)
    started, finish = threading.Event(), threading.Event()

    def failing() -> int:
        started.set()
        assert finish.wait(WAIT)
        raise StripeAppsError("listing uploads of", "app app_1", "Stripe is down", request_id="req_1")

    results: list[Any] = []
    threads = [run(lambda: shared.get("app_1", failing), results)]
    assert started.wait(WAIT)
    threads += [run(lambda: shared.get("app_1", lambda: 7), results) for _ in range(3)]
    callers.await_parked(3)
    finish.set()
    for thread in threads:
        thread.join(WAIT)
    failures = [result for result in results if isinstance(result, StripeAppsError)]
    assert len(failures) == 1 and failures[0].request_id == "req_1"
    assert sorted(result for result in results if not isinstance(result, StripeAppsError)) == [7, 7, 7]
    assert shared.get("app_1", lambda: 9) == 9


def test_every_caller_of_a_failed_read_raises_its_error() -> None:
    callers = ParkedCallers()
    shared: SharedReads[str, int] = SharedReads(callers.event)
    running_started, running_finish = threading.Event(), threading.Event()
    next_finish = threading.Event()

    def running() -> int:
        running_started.set()
        assert running_finish.wait(WAIT)
        return 0

    def failing() -> int:
        assert next_finish.wait(WAIT)
        raise StripeAppsError("listing uploads of", "app app_1", "Stripe is down", request_id="req_2")

    results: list[Any] = []
    threads = [run(lambda: shared.get("app_1", running), [])]
    assert running_started.wait(WAIT)
    threads += [run(lambda: shared.get("app_1", failing), results) for _ in range(4)]
    callers.await_parked(4)
    running_finish.set()
    next_finish.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(results) == 4 and all(isinstance(result, StripeAppsError) for result in results)
    assert {result.request_id for result in results} == {"req_2"}


@pytest.mark.parametrize("count", [2, 16])
def test_a_burst_of_callers_makes_at_most_two_reads(count: int) -> None:
    """Whatever the order of arrival: the first read, and one after it for everyone who came meanwhile."""
    callers, reads = ParkedCallers(), Reads()
    shared: SharedReads[str, int] = SharedReads(callers.event)
    results: list[Any] = []
    first = run(lambda: shared.get("app_1", reads), results)
    assert reads.started[0].wait(WAIT)
    threads = [run(lambda: shared.get("app_1", reads), results) for _ in range(count)]
    callers.await_parked(count)
    reads.finish[0].set()
    reads.finish[1].set()
    for thread in [first, *threads]:
        thread.join(WAIT)
    assert sorted(results) == [0] + [1] * count


def test_installs_of_one_app_at_once_read_its_version_history_twice_not_once_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The version rule's reads of a rollout: what Stripe lists is read after each install asked."""
    callers = ParkedCallers()
    monkeypatch.setattr(uploads, "HISTORY_READS", SharedReads(callers.event))
    listed: list[httpx.Request] = []
    first_listed, finish_first = threading.Event(), threading.Event()

    def respond(request: httpx.Request) -> httpx.Response:
        listed.append(request)
        if len(listed) == 1:
            first_listed.set()
            assert finish_first.wait(WAIT)
        upload = {
            "id": f"appupl_{len(listed)}",
            "app": "app_1",
            "app_id": "com.example.app",
            "status": "completed",
            "version": f"1.0.{len(listed)}",
        }
        return httpx.Response(200, json={"object": "list", "data": [upload], "has_more": False})

    http = StripeHttp("http://emulator", "sk_test_1", transport=httpx.MockTransport(respond))
    uploader = uploads.ApiUploader(Settings(api_base="http://emulator", keys={"test": "sk_test_1"}), http)
    results: list[Any] = []
    threads = [run(lambda: uploader.history("app_1")[0].version, results)]
    assert first_listed.wait(WAIT)
    threads += [run(lambda: uploader.history("app_1")[0].version, results) for _ in range(7)]
    callers.await_parked(7)
    finish_first.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(listed) == 2 and all(request.url.params["app"] == "app_1" for request in listed)
    assert sorted(results) == ["1.0.1"] + ["1.0.2"] * 7
