"""The main job: a real `pulumi up` of the root project against the local Stripe Apps emulator.

    python scripts/demo.py up     start the emulator (kept running, data under .state/), up, drift check
    python scripts/demo.py down   destroy the stack, remove it, stop the emulator

Run through `make demo` / `make demo-down`, which set up the engine environment (scripts/env.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("STRIPE_APPS_STATE", ROOT / ".state"))
EMULATOR_DATA = STATE / "emulator"
EMULATOR_LOG = STATE / "emulator.log"
EMULATOR_PID = STATE / "emulator.pid"
STACK = os.environ.get("STRIPE_APPS_DEMO_STACK", "dev")
START_TIMEOUT = 30.0


def emulator_url() -> str | None:
    """The running emulator's base URL, if the one we started is still answering."""
    if not EMULATOR_LOG.exists() or not EMULATOR_PID.exists():
        return None
    lines = EMULATOR_LOG.read_text().splitlines()
    if not lines:
        return None
    try:
        httpx.get(f"{lines[0]}/_emulator/keys", timeout=2).raise_for_status()
    except httpx.HTTPError:
        return None
    return lines[0]


def start_emulator() -> str:
    running = emulator_url()
    if running:
        print(f"emulator: already running at {running} (data in {EMULATOR_DATA})")
        return running
    EMULATOR_DATA.mkdir(parents=True, exist_ok=True)
    log = EMULATOR_LOG.open("w")
    process = subprocess.Popen(
        ["stripe-apps-emulator", "serve", "--port", "0", "--data", str(EMULATOR_DATA)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # outlives this script: the next run reuses it
    )
    EMULATOR_PID.write_text(str(process.pid))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        url = emulator_url()
        if url:
            print(f"emulator: started at {url} (pid {process.pid}, data in {EMULATOR_DATA})")
            return url
        if process.poll() is not None:
            sys.exit(f"emulator exited with {process.returncode}; see {EMULATOR_LOG}")
        time.sleep(0.1)  # waiting for another process to bind its port; bounded by the deadline
    sys.exit(f"emulator did not answer within {START_TIMEOUT:.0f}s; see {EMULATOR_LOG}")


def stop_emulator() -> None:
    if not EMULATOR_PID.exists():
        return
    pid = int(EMULATOR_PID.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
        print(f"emulator: stopped (pid {pid})")
    except ProcessLookupError:
        pass
    EMULATOR_PID.unlink()


def pulumi(*args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
    command = ["pulumi", *args, "--non-interactive"]
    done = subprocess.run(command, cwd=ROOT, text=True, capture_output=capture, check=False)
    if check and done.returncode != 0:
        if capture:
            print(done.stdout, done.stderr, sep="\n")
        sys.exit(f"`pulumi {' '.join(args)}` failed with exit code {done.returncode}")
    return done


def configure_stack(url: str) -> dict[str, str]:
    keys = httpx.get(f"{url}/_emulator/keys", timeout=5).json()
    chosen = {
        "stripe-apps:testApiKey": keys["default"]["test"],
        "stripe-apps:liveApiKey": keys["default"]["live"],
        "stripe-apps:sandboxApiKey": keys["sandbox"]["test"],
    }
    if pulumi("stack", "select", STACK, check=False, capture=True).returncode != 0:
        pulumi("stack", "init", STACK, capture=True)
    pulumi("config", "set", "stripe-apps:apiBase", url, capture=True)
    for name, value in chosen.items():
        # Through stdin, so the key never shows in the process list.
        done = subprocess.run(
            ["pulumi", "config", "set", "--secret", name, "--non-interactive"],
            cwd=ROOT,
            input=value,
            text=True,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"could not store {name} in stack config: {done.stderr.strip()}")
    return chosen


def masked(key: str) -> str:
    return f"{key[:8]}...{key[-4:]}"


def up() -> None:
    url = start_emulator()
    keys = configure_stack(url)
    print(f"\n$ pulumi up --yes   (stack {STACK}, state in {os.environ.get('PULUMI_BACKEND_URL')})")
    applied = pulumi("up", "--yes", "--skip-preview", capture=True)
    print(applied.stdout)
    if "Resources:" in applied.stdout and all(
        word not in applied.stdout for word in (" created", " updated", " replaced", " deleted")
    ):
        print("Nothing to do: the stack already matches the emulator (re-running `make demo` is a no-op).")
    outputs = json.loads(pulumi("stack", "output", "--json", capture=True).stdout)
    print("Stack outputs:\n" + json.dumps(outputs, indent=2))
    print("\n$ pulumi preview --refresh --expect-no-changes   (the drift check CI runs)")
    drift = pulumi("preview", "--refresh", "--expect-no-changes", check=False, capture=True)
    if drift.returncode == 0:
        print("drift check: no drift - Stripe matches the stack.")
    else:
        print(drift.stdout, drift.stderr, sep="\n")
        print("drift check: DRIFT FOUND - run `make demo` to converge (or `pulumi up --refresh`).")
    used = ", ".join(f"{name.split(':')[1]}={masked(key)}" for name, key in keys.items())
    print(
        "\nWhere to look:\n"
        f"  emulator API     {url}  (OpenAPI at {url}/openapi.json, state at {url}/_emulator/state)\n"
        f"  emulator data    {EMULATOR_DATA}\n"
        f"  keys used        {used}\n"
        f"  stack            pulumi stack --show-ids   (after `. scripts/env.sh`)\n"
        "  tear down        make demo-down"
    )


def down() -> None:
    url = emulator_url()
    if url is None and EMULATOR_PID.exists():
        url = start_emulator()
    if url is not None and pulumi("stack", "select", STACK, check=False, capture=True).returncode == 0:
        print(pulumi("destroy", "--yes", "--skip-preview", capture=True).stdout)
        pulumi("stack", "rm", STACK, "--yes", capture=True)
    stop_emulator()
    print("demo torn down: stack removed, emulator stopped (its data stays in .state/emulator).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down"])
    action = parser.parse_args().action
    up() if action == "up" else down()


if __name__ == "__main__":
    main()
