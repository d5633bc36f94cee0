"""Fixtures: one emulator per session over a real socket, reset before each test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator


def manifest(app_id: str = "com.example.billing", version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    """A manifest the strict validator accepts; `extra` overrides or adds top-level keys."""
    base: dict[str, Any] = {
        "id": app_id,
        "version": version,
        "name": "Billing helper",
        "icon": "./icon.png",
        "permissions": [{"permission": "customer_read", "purpose": "Show customers"}],
        "ui_extension": {"views": [{"viewport": "stripe.dashboard.customer.detail", "component": "App"}]},
    }
    base.update(extra)
    return base


@pytest.fixture(scope="session")
def server() -> Iterator[RunningEmulator]:
    with running_emulator(rate_limit=False) as emulator:
        yield emulator


@pytest.fixture
def control(server: RunningEmulator) -> Iterator[ControlClient]:
    with ControlClient(server.url) as client:
        client.reset()
        client.rate_limits(enabled=False)
        yield client


@pytest.fixture
def keys(control: ControlClient) -> dict[str, dict[str, str]]:
    return control.keys()


@pytest.fixture
def http(server: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        yield client


@pytest.fixture
def sdk(server: RunningEmulator, keys: dict[str, dict[str, str]]) -> Callable[..., stripe.StripeClient]:
    """An official SDK client for a key name (`test`, `live`, ...) or a raw key; no retries unless asked."""

    def make(name: str = "test", *, account: str = "default", retries: int = 0) -> stripe.StripeClient:
        key = keys[account].get(name, name)
        return stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=retries)

    return make


Uploader = Callable[..., dict[str, Any]]


@pytest.fixture
def upload(http: httpx.Client, keys: dict[str, dict[str, str]]) -> Uploader:
    """Upload a manifest (multipart) and return the settled upload (processing is immediate by default)."""

    def do(
        data: dict[str, Any] | str | None = None,
        *,
        key: str | None = None,
        settle: bool = True,
        expect: int = 200,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        text = data if isinstance(data, str) else json.dumps(data if data is not None else manifest(**kwargs))
        response = http.post(
            "/v1/apps/uploads",
            auth=(key or keys["default"]["test"], ""),
            files={"manifest": (None, text), "bundle": ("bundle.tar.gz", b"\x1f\x8b fake bundle")},
            headers=headers,
        )
        assert response.status_code == expect, response.text
        body: dict[str, Any] = response.json()
        if expect == 200 and settle:
            settled = http.get(f"/v1/apps/uploads/{body['id']}", auth=(key or keys["default"]["test"], ""))
            body = settled.json()
        return body

    return do
