"""The emulator's Dashboard page in a real headless Chromium (Debian's, driven by Playwright).

A click on "Uninstall" there is drift the engine then sees, the same as a user's click in Stripe's Dashboard.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pulumi
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppVersion
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# As root on a closed network: no sandbox, no GPU, and none of Chromium's own connections to Google.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it (scripts/ensure-browser.sh)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def config(emulator: RunningEmulator) -> dict[str, auto.ConfigValue]:
    keys = emulator.keys["default"]
    return {
        "stripe-apps:apiBase": auto.ConfigValue(emulator.url),
        "stripe-apps:testApiKey": auto.ConfigValue(keys["test"], secret=True),
        "stripe-apps:liveApiKey": auto.ConfigValue(keys["live"], secret=True),
    }


def test_uninstall_click_is_drift_that_preview_refresh_sees(
    engine: EngineSandbox, emulator: RunningEmulator, control: ControlClient, page: Page, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")

    def program() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        live = AppInstallation("billing-live", app=version.app, version=version.version, mode="live")
        pulumi.export("live_id", live.id)

    stack = engine.inline_stack(program, config=config(emulator))
    up = stack.up()
    live_id = stripe_install_id(up.outputs["live_id"].value)
    assert [install["status"] for install in objects(control, "install")] == ["installed"]

    page.goto(emulator.url + "/_emulator/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("acct_1Emulator0Default")
    page.get_by_role("link", name="acct_1Emulator0Default · live").click()
    expect(page.get_by_role("heading", name="Installs (live mode)")).to_be_visible()
    row = page.locator(f'tr[data-install="{live_id}"]')
    expect(row).to_contain_text("installed")
    expect(row).to_contain_text("com.example.billing")
    expect(page.locator("#apps")).to_contain_text("1.0.0")

    row.get_by_role("button", name="Uninstall").click()
    expect(page.get_by_role("status")).to_contain_text(f"Uninstalling {live_id}: status uninstalling.")
    # Uninstalls finish at once by default: the next read of the page no longer lists the install.
    expect(row).to_have_count(0)
    expect(page.locator("#installs")).to_contain_text("No installs.")
    expect(page.locator("#events")).to_contain_text("apps.install.deleted")
    expect(page.locator("#events tbody tr").first).to_contain_text(live_id)
    assert objects(control, "install") == []

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000

    drifted = stack.preview(refresh=True)
    assert drifted.change_summary.get(auto.OpType.CREATE) == 1
    restored = stack.up(refresh=True)
    assert (restored.summary.resource_changes or {}).get(auto.OpType.CREATE) == 1
    page.reload()
    expect(page.locator("tr[data-install]")).to_have_count(1)
    stack.destroy()
    assert objects(control, "install") == []


def upload(emulator: RunningEmulator, manifest: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        emulator.url + "/v1/apps/uploads",
        auth=(emulator.keys["default"]["test"], ""),
        files={"manifest": (None, json.dumps(manifest)), "bundle": ("bundle.tar.gz", b"\x1f\x8b bundle")},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def manifest(version: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "com.example.history",
        "version": version,
        "name": "History",
        "icon": "./icon.png",
        "permissions": [{"permission": "customer_read", "purpose": "Show customers"}],
        "ui_extension": {"views": [{"viewport": "stripe.dashboard.customer.detail", "component": "App"}]},
        **extra,
    }


def test_version_history_install_review_and_escaping(
    emulator: RunningEmulator, control: ControlClient, page: Page
) -> None:
    first = upload(emulator, manifest("1.0.0", distribution_type="public"))
    upload(emulator, manifest("2.0.0", distribution_type="public"))
    hostile = "<script>document.title='owned'</script>\"'&"
    upload(emulator, manifest(hostile, distribution_type="public", name=None))  # fails processing

    page.goto(emulator.url + "/_emulator/dashboard")
    history = page.locator("#apps tbody tr")
    expect(history).to_have_count(3)
    # Newest first; the failed upload's version string is shown as text, never run as markup.
    expect(history.nth(0)).to_contain_text(hostile)
    expect(history.nth(0)).to_contain_text("failed")
    assert page.locator("body script").count() == 0
    assert "owned" not in page.title()
    expect(history.nth(1)).to_contain_text("newest completed")
    expect(history.nth(1).get_by_role("button")).to_have_count(0)

    older = page.locator(f'tr[data-upload="{first["id"]}"]')
    older.get_by_role("button", name="Install in test mode").click()
    expect(page.get_by_role("status")).to_contain_text("Installing version 1.0.0 of com.example.history in test mode")
    [install] = objects(control, "install")
    expect(page.locator(f'tr[data-install="{install["id"]}"]')).to_contain_text("1.0.0")
    assert control.installed_upload(install["id"]) == first["id"]

    # Marketplace review: submitted with the API, decided on the page (Stripe's side).
    page.locator(f'tr[data-install="{install["id"]}"]').get_by_role("button", name="Uninstall").click()
    expect(page.get_by_role("status")).to_contain_text(f"Uninstalling {install['id']}")
    app_id = first["app"]
    submitted = httpx.post(
        f"{emulator.url}/v1/apps/apps/{app_id}/submit_for_review", auth=(emulator.keys["default"]["test"], "")
    )
    assert submitted.status_code == 200, submitted.text
    page.reload()
    marketplace = page.locator(f'article[data-app="{app_id}"] .marketplace')
    expect(marketplace).to_contain_text("in_review")
    marketplace.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Marketplace review of com.example.history: approved.")
    expect(marketplace).to_contain_text("approved")
    expect(marketplace.get_by_role("button")).to_have_count(0)
    [app] = objects(control, "app")
    assert app["marketplace"] == {"status": "approved"}

    # A form aimed at something that does not exist comes back as an error on the page, escaped too.
    response = httpx.post(
        emulator.url + "/_emulator/dashboard/forms/installs/%3Cb%3Enope/uninstall", follow_redirects=True
    )
    assert response.status_code == 200
    assert "No such app install: &#x27;&lt;b&gt;nope&#x27;" in response.text
    assert "<b>nope" not in response.text
