"""No API key or signing secret in plain text: not in state, the backend's files, engine logs at -v=9,
error messages, nor the pickled dynamic providers."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import dill
import httpx
import pytest
from pulumi import automation as auto

from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.reliability.conftest import Record
from tests.reliability.support import config, objects, program, write_apps
from tests.support.engine import EngineSandbox

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def hits(secrets: dict[str, str], text: str) -> list[str]:
    """Names of the secrets found in `text`: the whole value, or its part after the `sk_test_` prefix."""
    return [name for name, value in secrets.items() if value in text or value[8:] in text]


def provider_pickles(deployment: dict[str, Any]) -> list[bytes]:
    found = []
    for res in deployment.get("resources") or []:
        encoded = (res.get("outputs") or {}).get("__provider")
        if isinstance(encoded, dict) and "plaintext" in encoded:  # a secret, decrypted by --show-secrets
            encoded = json.loads(encoded["plaintext"])
        if isinstance(encoded, str):
            found.append(base64.b64decode(encoded))
    return found


def test_no_secret_in_state_logs_errors_or_provider_pickles(
    engine: EngineSandbox, emulator: RunningEmulator, control: ControlClient, tmp_path: Path, record: Record
) -> None:
    apps = write_apps(tmp_path / "apps", 2)
    stack = engine.inline_stack(program(apps), config=config(emulator))
    logs: list[str] = []
    stack.up(log_verbosity=9, log_to_std_err=True, on_output=logs.append, on_error=logs.append)

    secrets = {f"{mode} key": value for mode, value in _keys(emulator).items()}
    with httpx.Client(base_url=emulator.url, auth=(emulator.keys["default"]["test"], "")) as http:
        for app in objects(control, "app"):
            found = http.get(f"/v1/apps/apps/{app['id']}", params={"expand[]": "signing_secret"}).json()
            secrets[f"signing secret of {app['app_id']}"] = found["signing_secret"]
    assert len(secrets) == 5 and all(len(value) > 16 for value in secrets.values())

    # An error at -v=9 too: a revoked key fails the next refresh.
    control.revoke_key(emulator.keys["sandbox"]["test"])
    with pytest.raises(auto.CommandError) as refused:
        stack.refresh(log_verbosity=9, log_to_std_err=True, on_output=logs.append, on_error=logs.append)
    errors = str(refused.value)
    assert "Expired API Key provided" in errors

    stored = subprocess.run(
        ["pulumi", "stack", "export", "--stack", "test"],
        cwd=engine.root / "work" / "test",
        env=engine.env(),
        text=True,
        capture_output=True,
        check=True,
    )
    state = stored.stdout
    backend_files = "\n".join(
        path.read_text(errors="replace") for path in (engine.root / "backend").rglob("*") if path.is_file()
    )
    shown = subprocess.run(
        ["pulumi", "stack", "export", "--show-secrets", "--stack", "test"],
        cwd=engine.root / "work" / "test",
        env=engine.env(),
        text=True,
        capture_output=True,
        check=True,
    )
    pickles = provider_pickles(json.loads(shown.stdout)["deployment"])
    assert len(pickles) == 8
    loaded = [dill.loads(raw) for raw in pickles]
    pickled_text = "\n".join(raw.decode("latin-1") for raw in pickles) + "\n".join(
        repr(vars(provider)) for provider in loaded
    )
    places = {
        "state": state,
        "backend files": backend_files,
        "engine logs -v=9": "".join(logs),
        "error message": errors,
        "provider pickles": pickled_text,
    }
    found = {place: hits(secrets, text) for place, text in places.items()}
    record(
        "secrets",
        secrets=len(secrets),
        places=len(places),
        log_bytes=sum(len(line) for line in logs),
        found=sum(len(names) for names in found.values()),
    )
    assert len("".join(logs)) > 100_000  # the engine did log verbosely
    assert found == {place: [] for place in places}, found
    # The scan sees a secret where one is meant to be: the signing_secret output, decrypted on request.
    decrypted = json.loads(shown.stdout)["deployment"]["resources"]
    where = {
        f"{res['urn'].rsplit('::', 1)[-1]}.{key}": hits(secrets, json.dumps(value))
        for res in decrypted
        for key, value in (res.get("outputs") or {}).items()
        if hits(secrets, json.dumps(value))
    }
    # Keys reach state only encrypted, as the config the engine records on the default dynamic provider.
    assert where == {
        "default.stripe-apps:testApiKey": ["test key"],
        "default.stripe-apps:sandboxApiKey": ["sandbox key"],
        "default.stripe-apps:liveApiKey": ["live key"],
        "reliability0.signing_secret": ["signing secret of com.example.reliability0"],
        "reliability1.signing_secret": ["signing secret of com.example.reliability1"],
    }


def _keys(emulator: RunningEmulator) -> dict[str, str]:
    return {
        "test": emulator.keys["default"]["test"],
        "sandbox": emulator.keys["sandbox"]["test"],
        "live": emulator.keys["default"]["live"],
    }
