"""Waits for Stripe: the stack's timeout, a resource's customTimeouts for one operation, and the engine's Cancel."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pulumi_stripe_apps import poll
from pulumi_stripe_apps.errors import OperationCancelledError, PollTimeoutError
from tests.support.clock import FakeClock


def test_the_stack_timeout_names_the_stack_setting() -> None:
    clock = FakeClock()
    with pytest.raises(PollTimeoutError) as ran_out:
        poll.wait_until(
            lambda: "installing",
            lambda _: False,
            timeout=5,
            action="installing",
            subject="s",
            sleep=clock.sleep,
            clock=clock,
        )
    assert "still 'installing' after 5s" in str(ran_out.value) and "stripe-apps:pollTimeout" in str(ran_out.value)
    assert 5 <= clock.now < 5.5  # the last nap is cut to the deadline


def test_a_custom_timeout_replaces_the_stack_timeout_and_names_itself() -> None:
    with poll.engine_operation("create", 0.2, threading.Event()), pytest.raises(PollTimeoutError) as ran_out:
        poll.wait_until(lambda: "installing", lambda _: False, timeout=600, action="installing", subject="s")
    message = str(ran_out.value)
    assert "after 0.2s (customTimeouts.create)" in message and "raise customTimeouts.create" in message
    assert "pollTimeout" not in message
    assert poll.remaining(600) == 600  # outside the operation, the stack's timeout again


def test_no_custom_timeout_leaves_the_stack_timeout() -> None:
    with poll.engine_operation("update", 0, threading.Event()):
        assert poll.remaining(120) == 120
        assert poll.timeout_fix("raise stripe-apps:uploadTimeout") == "raise stripe-apps:uploadTimeout"


def test_cancel_wakes_a_sleeping_wait_and_fails_it_naming_the_cancel() -> None:
    fetched, cancelled = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def waiting() -> None:
        def fetch() -> str:
            fetched.set()
            return "installing"

        try:
            with poll.engine_operation("create", 0, cancelled):
                poll.wait_until(
                    fetch, lambda _: False, timeout=600, action="installing", subject="install x", interval=600
                )
        except BaseException as error:  # handed to the test thread, which asserts on it
            outcome.append(error)

    worker = threading.Thread(target=waiting)
    worker.start()
    assert fetched.wait(10)
    cancelled.set()
    worker.join(10)
    assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, OperationCancelledError)
    assert "installing install x failed: cancelled" in str(error) and "run `pulumi up` again" in str(error)


def test_no_wait_starts_once_cancelled_and_other_operations_are_not_cancelled() -> None:
    cancelled = threading.Event()
    cancelled.set()
    calls: list[int] = []
    with poll.engine_operation("delete", 0, cancelled), pytest.raises(OperationCancelledError):
        poll.wait_until(lambda: calls.append(1), lambda _: True, timeout=5, action="uninstalling", subject="s")
    assert calls == []
    with poll.engine_operation("delete", 0, threading.Event()):
        poll.wait_until(lambda: calls.append(1), lambda _: True, timeout=5, action="uninstalling", subject="s")
    poll.wait_until(lambda: calls.append(1), lambda _: True, timeout=5, action="uninstalling", subject="s")
    assert calls == [1, 1]


# A command that hangs once started (as a stuck `stripe apps upload` would), after saying so in a file.
HANGING = (
    "import pathlib, sys, time; pathlib.Path(sys.argv[1]).write_text('started'); sys.stdin.read(); time.sleep(600)"
)


def test_a_command_runs_to_its_end_with_its_input() -> None:
    echo = [sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"]
    done = poll.run_command(echo, cwd=".", env=dict(os.environ), stdin="y\n", timeout=30, action="a", subject="s")
    assert (done.returncode, done.stdout) == (0, "Y\n\n")


def test_cancel_kills_a_running_command_and_fails_the_operation(tmp_path: Path) -> None:
    marker, cancelled = tmp_path / "started", threading.Event()
    outcome: list[BaseException] = []

    def running() -> None:
        try:
            with poll.engine_operation("create", 0, cancelled):
                poll.run_command(
                    [sys.executable, "-c", HANGING, str(marker)],
                    cwd=".",
                    env=dict(os.environ),
                    stdin="y\n",
                    timeout=600,
                    action="uploading",
                    subject="app version x@1.0.0",
                )
        except BaseException as error:  # handed to the test thread, which asserts on it
            outcome.append(error)

    worker = threading.Thread(target=running)
    worker.start()
    poll.wait_until(marker.exists, bool, timeout=30, action="starting", subject="the command")
    cancelled.set()
    worker.join(10)
    assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, OperationCancelledError) and "uploading app version x@1.0.0 failed: cancelled" in str(
        error
    )


def test_a_command_past_its_timeout_is_killed() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        poll.run_command(
            [sys.executable, "-c", "import time; time.sleep(600)"],
            cwd=".",
            env=dict(os.environ),
            stdin="",
            timeout=0.3,
            action="uploading",
            subject="s",
        )
