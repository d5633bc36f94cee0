"""The engine watch: which processes start it, and how it tells the engine is gone."""

from __future__ import annotations

import os
import subprocess
import sys

from pulumi_stripe_apps import enginewatch as engine_watch


def test_only_the_engines_hosts_are_watched() -> None:
    python = "/venv/bin/python"
    assert engine_watch.host_module([python, "-u", "-m", "pulumi.dynamic", "127.0.0.1:4000"]) == "pulumi.dynamic"
    # The development language hosts start it themselves (`start(host=True)`).
    assert engine_watch.host_module([python, "-m", "stripe_apps_devtools.language_host", "127.0.0.1:1"]) is None
    assert engine_watch.host_module([python, "-m", "pytest", "tests"]) is None
    assert engine_watch.host_module([python, "script.py", "-m", "pulumi.dynamic"]) is None  # the script's arguments
    assert engine_watch.host_module([python, "-c", "pass", "-m", "pulumi.dynamic"]) is None
    assert engine_watch.host_module([python, "-m"]) is None


def test_a_process_without_pulumi_above_it_has_no_engine() -> None:
    assert engine_watch.find_engine(os.getpid()) is None


def test_an_exited_process_is_not_alive_even_before_it_is_reaped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    started = engine_watch._stat(child.pid)
    assert started is not None and engine_watch.alive(child.pid, started[2])
    assert not engine_watch.alive(child.pid, started[2] + 1)  # another process under a reused pid
    assert child.stdin is not None
    child.stdin.close()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped: a zombie
    assert not engine_watch.alive(child.pid, started[2])
    child.wait()
