"""Uploads and apps (emulator-only surface): processing, immutability, ownership, distribution rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient

from .conftest import Uploader, manifest

Sdk = Callable[..., stripe.StripeClient]


def test_upload_completes_with_requirements(
    upload: Uploader, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    data = manifest(
        allowed_redirect_uris=["https://example.com/callback"],
        sandbox_install_compatible=True,
        ui_extension={
            "views": [{"viewport": "stripe.dashboard.customer.detail", "component": "App"}],
            "content_security_policy": {
                "connect-src": ["https://api.example.com/v1/"],
                "purpose": "Load data",
            },
        },
    )
    done = upload(data)
    assert done["status"] == "completed"
    assert done["id"].startswith("appupl_") and done["app"].startswith("app_")
    assert done["permissions"] == ["customer_read"]
    assert done["content_security_policy"] == {
        "connect_src": ["https://api.example.com/v1/"],
        "image_src": [],
    }
    assert done["endpoints"] == ["https://example.com/callback"]
    assert done["sandbox_install_compatible"] is True
    assert done["completed_at"] is not None and done["livemode"] is False
    auth = (keys["default"]["test"], "")
    app = http.get(f"/v1/apps/apps/{done['app']}", auth=auth).json()
    assert app["signing_secret"] is None and app["marketplace"] == {"status": "unlisted"}
    secret = http.get(f"/v1/apps/apps/{done['app']}", params={"expand[]": "signing_secret"}, auth=auth).json()
    assert secret["signing_secret"].startswith("absec_")
    upload(version="1.0.1")
    again = http.get(f"/v1/apps/apps/{done['app']}", params={"expand[0]": "signing_secret"}, auth=auth).json()
    assert again["signing_secret"] == secret["signing_secret"]
    listed = http.get("/v1/apps/apps", params={"app_id": "com.example.billing"}, auth=auth).json()
    assert [a["id"] for a in listed["data"]] == [done["app"]]


def test_failed_processing_reports_errors(upload: Uploader) -> None:
    failed = upload(manifest(name=None))
    assert failed["status"] == "failed"
    assert any(error["path"] == "name" for error in failed["errors"])
    # a failed version string may be reused
    assert upload()["status"] == "completed"


def test_transition_modes_for_uploads(upload: Uploader, control: ControlClient) -> None:
    control.transitions(upload="fail")
    assert upload()["status"] == "failed"
    control.transitions(upload="held")
    held = upload(version="1.0.1")
    assert held["status"] == "processing"
    control.release()
    assert upload(version="1.0.2")["status"] == "processing"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "JSON"),
        ("[1]", "object"),
        ('{"version": "1"}', "manifest.id"),
        ('{"id": "bad id!", "version": "1"}', "manifest.id"),
        ('{"id": "com.x"}', "manifest.version"),
    ],
)
def test_synchronous_manifest_errors(upload: Uploader, text: str, fragment: str) -> None:
    error = upload(text, expect=400)["error"]
    assert (error["code"], error["param"]) == ("manifest_invalid", "manifest")
    assert fragment in error["message"]


def test_versions_are_immutable_and_ordered_by_upload_time(
    upload: Uploader, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    first = upload(version="2.0.0")
    error = upload(version="2.0.0", expect=400)["error"]
    assert (error["code"], error["param"]) == ("resource_already_exists", "version")
    assert "immutable" in error["message"]
    second = upload(version="1.0.0")
    history = http.get(
        "/v1/apps/uploads", params={"app_id": "com.example.billing"}, auth=(keys["default"]["test"], "")
    ).json()
    assert [u["id"] for u in history["data"]] == [second["id"], first["id"]]
    by_app = http.get(
        "/v1/apps/uploads", params={"app": first["app"], "limit": 1}, auth=(keys["default"]["test"], "")
    ).json()
    assert [u["version"] for u in by_app["data"]] == ["1.0.0"] and by_app["has_more"] is True


def test_app_id_taken_by_another_account(upload: Uploader, control: ControlClient) -> None:
    upload()
    other = control.create_account()
    error = upload(key=other["test"], expect=400)["error"]
    assert (error["code"], error["param"]) == ("app_id_taken", "id")


def test_uploads_need_a_test_key(upload: Uploader, keys: dict[str, dict[str, str]]) -> None:
    error = upload(key=keys["default"]["live"], expect=400)["error"]
    assert "test mode" in error["message"]


def test_distribution_rules(upload: Uploader) -> None:
    upload(app_id="com.example.one")
    upload(app_id="com.example.one", version="2", distribution_type="public")
    error = upload(app_id="com.example.one", version="3", distribution_type="private", expect=400)["error"]
    assert (error["code"], error["param"]) == ("distribution_type_invalid", "distribution_type")
    error = upload(app_id="com.example.two", distribution_type="public", expect=400)["error"]
    assert error["code"] == "distribution_type_invalid"


def test_submit_for_review_needs_no_live_install(
    upload: Uploader, http: httpx.Client, sdk: Sdk, keys: dict[str, dict[str, str]], control: ControlClient
) -> None:
    private = upload(app_id="com.example.market")
    live = sdk("live").v1.apps.installs.create({"app": private["app"], "channel": "private_live"})
    upload(app_id="com.example.market", version="2", distribution_type="public")
    auth = (keys["default"]["test"], "")
    error = http.post(f"/v1/apps/apps/{private['app']}/submit_for_review", auth=auth).json()["error"]
    assert error["code"] == "live_install_exists" and "uninstall" in error["message"]
    sdk("live").v1.apps.installs.uninstall(live.id)
    submitted = http.post(f"/v1/apps/apps/{private['app']}/submit_for_review", auth=auth).json()
    assert submitted["marketplace"] == {"status": "in_review"}
    assert control.dashboard_review(private["app"], "approve")["marketplace"] == {"status": "approved"}


def test_upload_idempotency_over_body(http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    auth = (keys["default"]["test"], "")
    files: dict[str, Any] = {"manifest": (None, json.dumps(manifest())), "bundle": ("b.tgz", b"abc")}
    first = http.post("/v1/apps/uploads", auth=auth, files=files, headers={"Idempotency-Key": "up-1"})
    again = http.post("/v1/apps/uploads", auth=auth, files=files, headers={"Idempotency-Key": "up-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other: dict[str, Any] = {"manifest": (None, json.dumps(manifest())), "bundle": ("b.tgz", b"xyz")}
    mismatch = http.post("/v1/apps/uploads", auth=auth, files=other, headers={"Idempotency-Key": "up-1"})
    assert mismatch.json()["error"]["type"] == "idempotency_error"
