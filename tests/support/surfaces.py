"""The two surfaces every engine test runs on: the emulator's full surface, and Stripe's public surface.

`full`: the provider talks to every emulator route and uploads through the emulator's upload API.
`stripe`: the provider's address serves only what api.stripe.com serves (emulator-only routes answer
Stripe's 404); uploads go through the Stripe CLI stand-in, which talks to an internal address the
provider is never given; the app's `app_...` id comes from stack config `stripe-apps:appIds`, as a
user copies it from the Dashboard.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pulumi import automation as auto

from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator
from tests.support.stripe_cli import install_stripe_cli

SurfaceName = Literal["full", "stripe"]
SURFACES: tuple[SurfaceName, ...] = ("full", "stripe")
DEFAULT_APP_IDS = ("com.example.billing",)


@dataclass
class Surface:
    name: SurfaceName
    emulator: RunningEmulator
    control: ControlClient
    stripe_cli: Path | None

    @property
    def is_stripe(self) -> bool:
        return self.name == "stripe"

    @property
    def keys(self) -> dict[str, dict[str, str]]:
        return self.emulator.keys

    def app_ids(self, manifest_ids: Iterable[str]) -> dict[str, str]:
        """The `app_...` id of each manifest id, as a developer reads it in the Dashboard."""
        return {manifest_id: self.control.dashboard_app(manifest_id)["id"] for manifest_id in manifest_ids}

    def settings(self, *, app_ids: Iterable[str] = DEFAULT_APP_IDS) -> dict[str, str]:
        """The provider settings for this surface, besides keys (config key -> value)."""
        values = {"stripe-apps:apiBase": self.emulator.url}
        if self.stripe_cli is not None:
            values["stripe-apps:uploader"] = "cli"
            values["stripe-apps:stripeCli"] = str(self.stripe_cli)
            values["stripe-apps:appIds"] = json.dumps(self.app_ids(app_ids))
        return values

    def env(self, *, app_ids: Iterable[str] = DEFAULT_APP_IDS) -> dict[str, str]:
        """The same settings and the three keys as environment variables (for CLI-driven projects)."""
        names = {
            "stripe-apps:apiBase": "STRIPE_APPS_API_BASE",
            "stripe-apps:uploader": "STRIPE_APPS_UPLOADER",
            "stripe-apps:stripeCli": "STRIPE_APPS_STRIPE_CLI",
            "stripe-apps:appIds": "STRIPE_APPS_APP_IDS",
        }
        env = {names[key]: value for key, value in self.settings(app_ids=app_ids).items()}
        env.update(
            STRIPE_APPS_TEST_API_KEY=self.keys["default"]["test"],
            STRIPE_APPS_LIVE_API_KEY=self.keys["default"]["live"],
            STRIPE_APPS_SANDBOX_API_KEY=self.keys["sandbox"]["test"],
        )
        return env

    def config(
        self, *, live: bool = True, sandbox: bool = True, app_ids: Iterable[str] = DEFAULT_APP_IDS
    ) -> dict[str, auto.ConfigValue]:
        values = {key: auto.ConfigValue(value) for key, value in self.settings(app_ids=app_ids).items()}
        values["stripe-apps:testApiKey"] = auto.ConfigValue(self.keys["default"]["test"], secret=True)
        if sandbox:
            values["stripe-apps:sandboxApiKey"] = auto.ConfigValue(self.keys["sandbox"]["test"], secret=True)
        if live:
            values["stripe-apps:liveApiKey"] = auto.ConfigValue(self.keys["default"]["live"], secret=True)
        return values


@contextmanager
def serving(name: SurfaceName, tmp_path: Path) -> Iterator[Surface]:
    emulator_surface = "stripe" if name == "stripe" else "full"
    with running_emulator(surface=emulator_surface) as emulator, ControlClient(emulator.internal_url) as control:
        stripe_cli = install_stripe_cli(tmp_path / "stripe-cli", emulator.internal_url) if name == "stripe" else None
        yield Surface(name, emulator, control, stripe_cli)
