"""The request log names what each create attempt is for (`target`), whatever the API answered."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import httpx
import stripe

from stripe_apps_emulator.testing import ControlClient

from .conftest import Uploader

Sdk = Callable[..., stripe.StripeClient]


def _creates(control: ControlClient) -> list[tuple[str, str | None, str | None, str | None, int]]:
    return [
        (entry["path"], entry["target"], entry["account"], entry["idempotency_key"], entry["status"])
        for entry in control.requests()
        if entry["target"] is not None
    ]


def test_every_create_route_logs_its_target_and_nothing_else_does(
    sdk: Sdk, upload: Uploader, control: ControlClient, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    uploaded = upload(app_id="com.example.billing", version="1.0.0", distribution_type="public")
    client = sdk("test")
    install = client.v1.apps.installs.create({"app": uploaded["app"], "channel": "private_test"})
    client.v1.apps.installs.retrieve(install.id)
    client.v1.apps.secrets.create({"name": "token", "payload": "s3cret", "scope": {"type": "account"}})
    client.v1.apps.secrets.create(
        {"name": "token", "payload": "s3cret", "scope": {"type": "user", "user": "usr_1"}},
        {"idempotency_key": "k-user"},
    )
    review = http.post(f"/v1/apps/apps/{uploaded['app']}/submit_for_review", auth=(keys["default"]["test"], ""))
    assert review.status_code == 200, review.text

    account = keys["default"]["account"]
    logged = _creates(control)
    assert [(path, target, acct) for path, target, acct, _, _ in logged] == [
        ("/v1/apps/uploads", "upload:com.example.billing@1.0.0", account),
        ("/v1/apps/installs", f"install:{uploaded['app']}", account),
        ("/v1/apps/secrets", "secret:account::token", account),
        ("/v1/apps/secrets", "secret:user:usr_1:token", account),
        (f"/v1/apps/apps/{uploaded['app']}/submit_for_review", f"review:{uploaded['app']}", account),
    ]
    assert logged[3][3] == "k-user"
    # Reads, polls and the other writes carry none.
    assert all(entry["target"] is None for entry in control.requests() if entry["method"] == "GET")


def test_a_refused_or_answered_again_create_still_logs_its_target(
    sdk: Sdk, upload: Uploader, control: ControlClient
) -> None:
    first = upload(app_id="com.example.billing", version="1.0.0")
    upload(app_id="com.example.billing", version="1.0.0", expect=400)  # versions are immutable
    client = sdk("test")
    one = client.v1.apps.installs.create({"app": first["app"], "channel": "private_test"})
    two = client.v1.apps.installs.create({"app": first["app"], "channel": "private_test"})
    assert one.id == two.id  # the API answers a second create with the existing install

    logged = [(target, status) for _, target, _, _, status in _creates(control)]
    assert logged == [
        ("upload:com.example.billing@1.0.0", 200),
        ("upload:com.example.billing@1.0.0", 400),
        (f"install:{first['app']}", 200),
        (f"install:{first['app']}", 200),
    ]


def test_faulted_creates_log_their_target_once_the_parameters_are_read(
    sdk: Sdk, upload: Uploader, control: ControlClient
) -> None:
    app = upload()["app"]
    control.set_faults(5, [{"route": "POST /v1/apps/installs", "kind": "error_after"}])
    with contextlib.suppress(stripe.APIError):
        sdk("test").v1.apps.installs.create({"app": app, "channel": "private_test"})
    control.set_faults(5, [{"route": "POST /v1/apps/installs", "kind": "error_before"}])
    with contextlib.suppress(stripe.APIError):
        sdk("test").v1.apps.installs.create({"app": app, "channel": "private_test"})
    control.clear_faults()
    installs = [entry for entry in control.requests() if entry["path"] == "/v1/apps/installs"]
    # error_after ran the endpoint (its target is known); error_before stopped the request before it was read.
    assert [(entry["fault"], entry["target"]) for entry in installs] == [
        ("error_after", f"install:{app}"),
        ("error_before", None),
    ]
