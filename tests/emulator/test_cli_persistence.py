"""The real CLI as a subprocess: first line is the URL, keys follow, and `--data` survives a restart."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import stripe

from stripe_apps_emulator.models.accounts import KEY_KINDS, SANDBOX_KEYS

CLI = [sys.executable, "-c", "from stripe_apps_emulator.cli import main; raise SystemExit(main())"]


@contextmanager
def serve(data: Path) -> Iterator[tuple[str, dict[str, str]]]:
    process = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--data", str(data), "--no-rate-limit"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        keys: dict[str, str] = {}
        for _ in range(2 + len(KEY_KINDS) + len(SANDBOX_KEYS)):  # default: account + keys; sandbox: the same
            name, _, value = process.stdout.readline().strip().partition("=")
            keys[name] = value
        yield url, keys
    finally:
        process.terminate()
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
        if process.stdout is not None:
            process.stdout.close()


def test_restart_keeps_objects(tmp_path: Path) -> None:
    with serve(tmp_path) as (url, keys):
        assert url.startswith("http://127.0.0.1:")
        assert keys["default.test"].startswith("sk_test_51Emu")
        assert keys["default.restricted_test_no_write"].startswith("rk_test_")
        assert keys["sandbox.account"] == "acct_1Emulator0Sandbox"
        client = stripe.StripeClient(keys["default.test"], base_addresses={"api": url}, max_network_retries=0)
        secret = client.v1.apps.secrets.create({"name": "kept", "payload": "p", "scope": {"type": "account"}})
    with serve(tmp_path) as (url2, keys2):
        assert keys2 == keys
        client = stripe.StripeClient(keys2["default.test"], base_addresses={"api": url2}, max_network_retries=0)
        found = client.v1.apps.secrets.find({"name": "kept", "scope": {"type": "account"}, "expand": ["payload"]})
        assert (found.id, found.payload) == (secret.id, "p")
