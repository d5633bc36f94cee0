"""Waiting for Stripe's asynchronous transitions: poll with a deadline, never forever, and stop when cancelled.

The deadline of a wait is the stack's `pollTimeout`/`uploadTimeout`, unless the operation runs under a resource's
`customTimeouts`: then every wait of that operation ends by that one deadline. The native front runs each operation
in `engine_operation`, with the engine's timeout for it and the plugin's cancel signal, which its Cancel sets: every
wait then ends at once, the HTTP client's too (its retry backoffs and rate-limit pacing `pause` here). The dynamic
front runs outside any (Pulumi's dynamic host passes neither).
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from pulumi_stripe_apps.errors import OperationCancelledError, PollTimeoutError

T = TypeVar("T")

# Outside an engine operation nothing cancels a wait: this one is never set.
NEVER = threading.Event()
# How often a running command is checked for Cancel: the longest a cancelled command outlives it.
COMMAND_CHECK_INTERVAL = 0.2


@dataclass(frozen=True)
class CustomTimeout:
    """A resource's `customTimeouts` entry for the operation running in this context."""

    operation: str  # create, update or delete
    seconds: float
    deadline: float  # on `time.monotonic`


_CUSTOM_TIMEOUT: ContextVar[CustomTimeout | None] = ContextVar("stripe_apps_custom_timeout", default=None)
_CANCELLED: ContextVar[threading.Event] = ContextVar("stripe_apps_cancelled", default=NEVER)


@contextlib.contextmanager
def engine_operation(operation: str, seconds: float, cancelled: threading.Event) -> Iterator[None]:
    """Within: waits end when `cancelled` is set, and `seconds` from now at the latest instead of after the stack's
    timeouts. `seconds` is what the engine sends for the operation; 0 means the resource set no customTimeouts."""
    bound = CustomTimeout(operation, seconds, time.monotonic() + seconds) if seconds > 0 else None
    tokens = (_CUSTOM_TIMEOUT.set(bound), _CANCELLED.set(cancelled))
    try:
        yield
    finally:
        _CANCELLED.reset(tokens[1])
        _CUSTOM_TIMEOUT.reset(tokens[0])


def remaining(default: float) -> float:
    """How long a wait that would take `default` seconds may take now: what is left of a custom timeout, if set."""
    bound = _CUSTOM_TIMEOUT.get()
    return default if bound is None else max(0.0, bound.deadline - time.monotonic())


def timeout_fix(default: str) -> str:
    """What to do when a wait ran out: `default` names the stack's setting; a custom timeout names itself."""
    bound = _CUSTOM_TIMEOUT.get()
    if bound is None:
        return default
    return (
        f"Stripe keeps working on it: run the same pulumi command again to resume waiting (it finds the same object, "
        f"nothing is made twice), or raise customTimeouts.{bound.operation} on the resource"
    )


def stop_if_cancelled(action: str, subject: str, waiting: str = "while Stripe was still working on it") -> None:
    if _CANCELLED.get().is_set():
        raise OperationCancelledError(
            action,
            subject,
            f"cancelled: the engine asked the provider to stop (Ctrl-C) {waiting}",
            fix="run `pulumi up` again: it finds what Stripe made and resumes from there (nothing is made twice)",
        )


def pause(seconds: float) -> None:
    """Waits `seconds`, less if the engine cancels the operation running in this context (its caller then stops)."""
    _CANCELLED.get().wait(seconds)  # returns at once when set; outside an operation, a plain wait


def wait_until(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    action: str,
    subject: str,
    describe: Callable[[T], str] = repr,
    interval: float = 0.1,
    max_interval: float = 2.0,
    sleep: Callable[[float], object] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Calls `fetch` until `done` holds; the first check happens at once, waits grow to `max_interval`.

    By default it naps on the operation's cancel signal, so a cancelled wait ends within one request.
    """
    nap = sleep or _CANCELLED.get().wait
    bound = _CUSTOM_TIMEOUT.get()
    deadline = clock() + (timeout if bound is None else bound.deadline - time.monotonic())
    while True:
        stop_if_cancelled(action, subject)
        current = fetch()
        if done(current):
            return current
        if clock() >= deadline:
            after = f"{timeout:.0f}s" if bound is None else f"{bound.seconds:g}s (customTimeouts.{bound.operation})"
            raise PollTimeoutError(
                action,
                subject,
                f"still {describe(current)} after {after}",
                fix=timeout_fix("run `pulumi up` again to resume waiting, or raise stripe-apps:pollTimeout"),
            )
        nap(min(interval, max(0.0, deadline - clock())))
        interval = min(interval * 1.5, max_interval)


def run_command(
    command: list[str], *, cwd: str, env: dict[str, str], stdin: str, timeout: float, action: str, subject: str
) -> subprocess.CompletedProcess[str]:
    """Runs `command` to its end, as `subprocess.run` with captured text output would, but a Cancel kills it and
    fails the operation. Raises `subprocess.TimeoutExpired` (the command killed) after `timeout` seconds."""
    cancelled = _CANCELLED.get()
    deadline = time.monotonic() + timeout
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    pending: str | None = stdin
    with process:
        while True:
            try:
                left = max(0.0, deadline - time.monotonic())
                stdout, stderr = process.communicate(pending, timeout=min(COMMAND_CHECK_INTERVAL, left))
                return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
            except subprocess.TimeoutExpired:
                pending = None  # sent with the first call; the output read so far is kept for the next
                if cancelled.is_set() or time.monotonic() >= deadline:
                    process.kill()
                    process.communicate()
                    stop_if_cancelled(action, subject)
                    raise subprocess.TimeoutExpired(command, timeout) from None
