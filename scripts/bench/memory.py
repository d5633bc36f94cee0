"""Peak memory (RSS) of the processes an operation runs, by role, read from /proc while it runs.

Roles: the engine (`pulumi`), the language host (`pulumi-language-*`, which runs a YAML program itself), the
providers (every other process below the engine: `pulumi-resource-*` plugins, Pulumi's dynamic provider host) and,
for inline programs, this process (the Automation API runs the program here): its own high-water mark, reset
before the operation (`/proc/self/clear_refs`), so it includes what the bench itself holds.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

ROLES = ("engine", "language host", "provider", "this process (inline program)")
SAMPLE_SECONDS = 0.1


def _rss_bytes(pid: int, field: str = "VmRSS") -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _role(pid: int) -> str | None:
    with contextlib.suppress(OSError):
        argv = (Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") or [b""])[0].decode(errors="replace")
        name = os.path.basename(argv)
        if name == "pulumi":
            return "engine"
        if name.startswith("pulumi-language-"):
            return "language host"
        return "provider"
    return None


class PeakMemory:
    """Samples the process tree below this process until stopped; the largest sum per role seen at one time."""

    def __init__(self) -> None:
        self.peaks = dict.fromkeys(ROLES, 0)
        self._stop = threading.Event()

    def _sample(self) -> None:
        tree = _children()
        totals = dict.fromkeys(ROLES, 0)
        pending = list(tree.get(os.getpid(), []))
        while pending:
            pid = pending.pop()
            pending += tree.get(pid, [])
            role = _role(pid)
            if role is not None:
                totals[role] += _rss_bytes(pid)
        for role, value in totals.items():
            self.peaks[role] = max(self.peaks[role], value)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):  # a sampling period, not a synchronization
            self._sample()

    @contextlib.contextmanager
    def watching(self) -> Iterator[PeakMemory]:
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")  # resets this process's high-water mark
        sampler = threading.Thread(target=self._run, daemon=True)
        sampler.start()
        try:
            yield self
        finally:
            self._stop.set()
            sampler.join()
            self.peaks["this process (inline program)"] = _rss_bytes(os.getpid(), "VmHWM")
