"""Processes the engine started exit when the engine is gone (killed, a cancelled CI job), as Pulumi's Go hosts do.

Pulumi's stock Python dynamic-provider host (`python -m pulumi.dynamic`, behind the shell launcher
`pulumi-resource-pulumi-python`, which stays its parent) waits for the engine to stop it; when the engine is
SIGKILLed nobody does, and the host, with any `stripe apps upload` in flight, would run on for ever. Our
resources start this watch in that host when they are loaded there (`resources/base.py`), so a host serving
them finds the `pulumi` that started it among its ancestors and, once that process has exited, stops its own
children and exits. Linux only (it reads /proc); elsewhere it does nothing. `STRIPE_APPS_ENGINE_WATCH=off`
turns it off.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

# The module of Pulumi's stock dynamic-provider host; other hosts (the development language hosts) start the
# watch themselves.
HOSTS = ("pulumi.dynamic",)
ENGINE_NAMES = ("pulumi",)
INTERVAL = 0.25
CHILD_GRACE = 2.0
# How far up the engine may be: the language host is its child, the dynamic host its grandchild (the shell).
MAX_DEPTH = 3
SWITCH = "STRIPE_APPS_ENGINE_WATCH"


def host_module(argv: list[str]) -> str | None:
    """The module a `python [OPTIONS] -m MODULE ...` command line runs, when it is one of the engine's hosts."""
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "-m":
            module = argv[index + 1] if index + 1 < len(argv) else None
            return module if module in HOSTS else None
        if arg == "-c" or not arg.startswith("-"):
            return None  # a command or a script: its own arguments follow
    return None


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1]), int(fields[19])


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def find_engine(pid: int) -> tuple[int, int] | None:
    """(pid, start time) of the nearest `pulumi` above `pid`, at most MAX_DEPTH levels up."""
    current = pid
    for _ in range(MAX_DEPTH):
        found = _stat(current)
        if found is None:
            return None
        parent = found[1]
        if parent <= 1:
            return None
        if _name(parent) in ENGINE_NAMES:
            parent_stat = _stat(parent)
            return (parent, parent_stat[2]) if parent_stat else None
        current = parent
    return None


def alive(pid: int, started: int) -> bool:
    """Whether that very process still runs: not exited (a zombie has), and its pid not reused."""
    found = _stat(pid)
    return found is not None and found[0] not in ("Z", "X") and found[2] == started


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid:
                found.append(int(entry.name))
    return found


def stop_children(pid: int) -> None:
    """SIGTERM to every child, SIGKILL to those still there after a grace period."""
    pending = children(pid)
    for child in pending:
        _signal(child, signal.SIGTERM)
    deadline = time.monotonic() + CHILD_GRACE
    while pending and time.monotonic() < deadline:
        time.sleep(0.05)
        pending = [child for child in pending if alive(child, _start(child))]
    for child in pending:
        _signal(child, signal.SIGKILL)


def _start(pid: int) -> int:
    found = _stat(pid)
    return found[2] if found else -1


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, sig)


def watch(engine: tuple[int, int]) -> None:
    while alive(*engine):
        time.sleep(INTERVAL)
    stop_children(os.getpid())
    os._exit(0)


def start(*, host: bool = False) -> None:
    """Watches the engine from this process when it is one of the engine's hosts (`host`, or the stock
    dynamic-provider host); at most once per process."""
    global _started  # noqa: PLW0603 - one watch per process
    if _started or os.environ.get(SWITCH) == "off" or not Path("/proc/self/stat").exists():
        return
    if not host and host_module(list(getattr(sys, "orig_argv", []))) is None:
        return
    engine = find_engine(os.getpid())
    if engine is not None:
        _started = True
        threading.Thread(target=watch, args=(engine,), name="engine-watch", daemon=True).start()


_started = False
