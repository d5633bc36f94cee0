"""No API key, signing secret or AppSecret payload in plain text, on both surfaces: not in state, the backend's
files, engine logs at -v=9, error messages, nor the pickled dynamic providers."""

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

from tests.reliability.conftest import Record
from tests.reliability.support import MODES, SECRET_TYPE, app_ids, objects, program, secret_payload, write_apps
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
APPS = 2


def hits(secrets: dict[str, str], text: str) -> list[str]:
    """Names of the secrets found in `text`: the whole value, or its part after an `sk_test_`-like prefix."""
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


def scan(secrets: dict[str, str], places: dict[str, str]) -> dict[str, list[str]]:
    """Where each secret shows in plain text: {place: [secret names]}."""
    return {place: hits(secrets, text) for place, text in places.items()}


def test_no_secret_in_state_logs_errors_or_provider_pickles(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, record: Record
) -> None:
    row: dict[str, Any] = {"surface": surface.name, "outcome": "failed", "found": None}
    try:
        _scan(engine, surface, tmp_path, row)
    finally:
        record("secrets", **row)


def _scan(engine: EngineSandbox, surface: Surface, tmp_path: Path, row: dict[str, Any]) -> None:
    apps = write_apps(tmp_path / "apps", APPS)
    stack = engine.inline_stack(program(apps, secrets=True), config=surface.config(app_ids=app_ids(APPS)))
    logs: list[str] = []
    stack.up(log_verbosity=9, log_to_std_err=True, on_output=logs.append, on_error=logs.append)

    keys = surface.keys
    secrets = {"test key": keys["default"]["test"], "sandbox key": keys["sandbox"]["test"]}
    secrets["live key"] = keys["default"]["live"]
    for app_dir in apps:
        name = app_dir.name.rsplit(".", 1)[-1]
        secrets.update({f"AppSecret payload {name}/{mode}": secret_payload(name, mode) for mode in MODES})
    with httpx.Client(base_url=surface.emulator.internal_url, auth=(keys["default"]["test"], "")) as http:
        for app in objects(surface.control, "app"):
            found = http.get(f"/v1/apps/apps/{app['id']}", params={"expand[]": "signing_secret"}).json()
            secrets[f"signing secret of {app['app_id']}"] = found["signing_secret"]
    assert len(secrets) == 3 + APPS * len(MODES) + APPS and all(len(value) > 16 for value in secrets.values())

    # An error at -v=9 too: a revoked key fails the next refresh.
    surface.control.revoke_key(keys["sandbox"]["test"])
    with pytest.raises(auto.CommandError) as refused:
        stack.refresh(log_verbosity=9, log_to_std_err=True, on_output=logs.append, on_error=logs.append)
    errors = str(refused.value)
    assert "Expired API Key provided" in errors

    def export(*flags: str) -> str:
        return subprocess.run(
            ["pulumi", "stack", "export", *flags, "--stack", "test"],
            cwd=engine.root / "work" / "test",
            env=engine.env(),
            text=True,
            capture_output=True,
            check=True,
        ).stdout

    state, shown = export(), export("--show-secrets")
    backend_files = "\n".join(
        path.read_text(errors="replace") for path in (engine.root / "backend").rglob("*") if path.is_file()
    )
    pickles = provider_pickles(json.loads(shown)["deployment"])
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
    found = scan(secrets, places)
    row.update(
        secrets=len(secrets),
        places=len(places),
        log_bytes=sum(len(line) for line in logs),
        pickles=len(pickles),
        found=sum(len(names) for names in found.values()),
        where=found,
    )
    assert len(pickles) == APPS * (1 + 2 * len(MODES))
    assert len("".join(logs)) > 100_000  # the engine did log verbosely
    assert found == {place: [] for place in places}, found
    # The scan sees a secret where one is meant to be: decrypted on request, in the outputs that hold it.
    decrypted = json.loads(shown)["deployment"]["resources"]
    where = {
        f"{res['urn'].rsplit('::', 1)[-1]}.{key}": hits(secrets, json.dumps(value))
        for res in decrypted
        for key, value in (res.get("outputs") or {}).items()
        if hits(secrets, json.dumps(value))
    }
    expected = {
        "default.stripe-apps:testApiKey": ["test key"],
        "default.stripe-apps:sandboxApiKey": ["sandbox key"],
        "default.stripe-apps:liveApiKey": ["live key"],
    }
    for res in decrypted:
        if res["type"] == SECRET_TYPE:
            name = res["urn"].rsplit("::", 1)[-1]
            app, mode = name.split("-secret-")
            expected[f"{name}.payload"] = [f"AppSecret payload {app}/{mode}"]
    if not surface.is_stripe:  # the Stripe CLI shows no signing secret
        expected.update(
            {f"reliability{i}.signing_secret": [f"signing secret of com.example.reliability{i}"] for i in range(APPS)}
        )
    assert where == expected
    row["outcome"] = "passed"
