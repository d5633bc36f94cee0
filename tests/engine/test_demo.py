"""The README's first command: the demo's `pulumi up` converges, and a second run is a no-op that says so."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def run_demo(action: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "scripts/demo.py", action],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"demo {action} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_demo_up_is_idempotent_and_tears_down(tmp_path: Path) -> None:
    stack = f"demo-test-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state"
    (state / "backend").mkdir(parents=True)
    env = {
        **os.environ,
        "STRIPE_APPS_STATE": str(state),
        "STRIPE_APPS_DEMO_STACK": stack,
        "PULUMI_BACKEND_URL": f"file://{state / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": "demo-test",
    }
    try:
        first = run_demo("up", env)
        assert "emulator: started at http://127.0.0.1:" in first
        assert "5 created" in first
        assert '"test": "installed"' in first and '"live": "installed"' in first
        assert "drift check: no drift" in first

        second = run_demo("up", env)
        assert "emulator: already running" in second
        assert "5 unchanged" in second
        assert "Nothing to do: the stack already matches" in second
        assert "drift check: no drift" in second
    finally:
        down = run_demo("down", env)
    assert "demo torn down" in down
    assert not (ROOT / f"Pulumi.{stack}.yaml").exists()
    assert not (state / "emulator.pid").exists()
