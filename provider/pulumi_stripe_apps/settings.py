"""Provider settings: stack config `stripe-apps:*` first, then `STRIPE_APPS_*` environment variables."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pulumi_stripe_apps.surface import Surface, surface_of

Mode = Literal["test", "sandbox", "live"]
MODES: tuple[Mode, ...] = ("test", "sandbox", "live")
UploaderKind = Literal["api", "cli"]
STRIPE_API_BASE = "https://api.stripe.com"
APP_IDS_HELP = (
    "find the app's id (app_...) in the Dashboard: Developers > Apps (or the URL of the app's page) after its "
    "first `stripe apps upload`, then run `pulumi config set --path 'stripe-apps:appIds[\"MANIFEST_ID\"]' app_...`"
)

# stack config key -> environment fallback
CONFIG_KEYS: dict[str, str] = {
    "stripe-apps:apiBase": "STRIPE_APPS_API_BASE",
    "stripe-apps:testApiKey": "STRIPE_APPS_TEST_API_KEY",
    "stripe-apps:sandboxApiKey": "STRIPE_APPS_SANDBOX_API_KEY",
    "stripe-apps:liveApiKey": "STRIPE_APPS_LIVE_API_KEY",
    "stripe-apps:uploader": "STRIPE_APPS_UPLOADER",
    "stripe-apps:stripeCli": "STRIPE_APPS_STRIPE_CLI",
    "stripe-apps:uploadTimeout": "STRIPE_APPS_UPLOAD_TIMEOUT",
    "stripe-apps:pollTimeout": "STRIPE_APPS_POLL_TIMEOUT",
    "stripe-apps:appIds": "STRIPE_APPS_APP_IDS",
}
KEY_CONFIG: dict[Mode, str] = {
    "test": "stripe-apps:testApiKey",
    "sandbox": "stripe-apps:sandboxApiKey",
    "live": "stripe-apps:liveApiKey",
}
KEY_PREFIXES: dict[Mode, tuple[str, ...]] = {
    "test": ("sk_test_", "rk_test_"),
    "sandbox": ("sk_test_", "rk_test_"),
    "live": ("sk_live_", "rk_live_"),
}


@dataclass(frozen=True)
class Settings:
    """What the provider needs to reach Stripe; never pickled, never logged (keys are hidden in repr)."""

    api_base: str = STRIPE_API_BASE
    keys: dict[Mode, str] = field(default_factory=dict, repr=False)
    # As configured; None picks by surface (`uploader`).
    uploader_setting: UploaderKind | None = None
    stripe_cli: str = "stripe"
    upload_timeout: float = 300.0
    poll_timeout: float = 120.0
    app_ids: dict[str, str] = field(default_factory=dict)

    @property
    def surface(self) -> Surface:
        """`full` when the API base is the emulator (it answered the emulator's handshake): Version History,
        app objects and review are there; `public` for everything else, api.stripe.com first (surface.py)."""
        return surface_of(self.api_base)

    @property
    def uploader(self) -> UploaderKind:
        """The configured uploader, else the emulator's upload API on its full surface and the Stripe CLI
        everywhere else (Stripe has no upload API)."""
        if self.uploader_setting is not None:
            return self.uploader_setting
        return "api" if self.surface == "full" else "cli"

    def uploader_problem(self) -> str | None:
        """Why the configured uploader cannot work on this surface; None when it can."""
        if self.uploader_setting == "api" and self.surface == "public":
            return (
                f"stripe-apps:uploader is `api`, the emulator's upload API, but {self.api_base} did not answer as "
                "the emulator (Stripe has no upload API): remove stripe-apps:uploader so the Stripe CLI uploads, "
                "or point stripe-apps:apiBase at the emulator"
            )
        return None

    def app_object_id(self, manifest_id: str) -> str | None:
        return self.app_ids.get(manifest_id)

    def key_for(self, mode: Mode) -> str:
        key = self.keys.get(mode)
        if not key:
            raise MissingKeyError(mode)
        return key

    def key_problem(self, mode: Mode) -> str | None:
        """Why the key for `mode` cannot be used, or None when it can; never includes the key."""
        key = self.keys.get(mode)
        config_key = KEY_CONFIG[mode]
        env_name = CONFIG_KEYS[config_key]
        if not key:
            return (
                f"no API key is configured for {mode} mode: run `pulumi config set --secret {config_key} "
                f"<key>` (or set {env_name})"
            )
        prefixes = KEY_PREFIXES[mode]
        if not key.startswith(prefixes):
            return (
                f"the key in {config_key} is {_kind(key)}, but {mode} mode needs a key starting with "
                f"{' or '.join(prefixes)}"
            )
        return None


KNOWN_KINDS = tuple(f"{kind}_{mode}_" for kind in ("sk", "rk", "pk") for mode in ("test", "live"))


def _kind(key: str) -> str:
    """Names the kind of a key by its public prefix only; nothing else of a key ever reaches a message."""
    known = next((prefix for prefix in KNOWN_KINDS if key.startswith(prefix)), None)
    return f"a {known}... key" if known else "not a Stripe secret key (sk_ or rk_)"


class MissingKeyError(Exception):
    def __init__(self, mode: Mode) -> None:
        super().__init__(f"no API key is configured for {mode} mode (stack config {KEY_CONFIG[mode]})")
        self.mode = mode


def load_settings(lookup: Callable[[str], object]) -> Settings:
    """Builds settings from a config lookup (namespaced keys), falling back to the environment."""

    def value(config_key: str) -> str | None:
        found = lookup(config_key)
        if found is None or found == "":
            found = os.environ.get(CONFIG_KEYS[config_key])
        return None if found is None or found == "" else str(found)

    keys: dict[Mode, str] = {}
    for mode in MODES:
        key = value(KEY_CONFIG[mode])
        if key:
            keys[mode] = key
    api_base = (value("stripe-apps:apiBase") or STRIPE_API_BASE).strip().rstrip("/")
    uploader = value("stripe-apps:uploader")
    if uploader not in (None, "api", "cli"):
        raise ValueError(f"stripe-apps:uploader must be `api` or `cli`, not {uploader!r}")
    return Settings(
        api_base=api_base,
        keys=keys,
        uploader_setting=None if uploader is None else ("cli" if uploader == "cli" else "api"),
        stripe_cli=value("stripe-apps:stripeCli") or "stripe",
        upload_timeout=seconds("stripe-apps:uploadTimeout", value("stripe-apps:uploadTimeout"), 300.0),
        poll_timeout=seconds("stripe-apps:pollTimeout", value("stripe-apps:pollTimeout"), 120.0),
        app_ids=parse_app_ids(lookup("stripe-apps:appIds") or os.environ.get(CONFIG_KEYS["stripe-apps:appIds"])),
    )


def seconds(config_key: str, raw: str | None, default: float) -> float:
    """A timeout: a number from an explicit provider's inputs, or the string stack config holds (`"300"`)."""
    if raw is None:
        return default
    try:
        parsed = float(raw)
    except ValueError:
        parsed = -1.0
    if not parsed > 0 or parsed == float("inf"):
        raise ValueError(f"{config_key} must be a positive number of seconds, such as 300, not {raw!r}")
    return parsed


def parse_app_ids(raw: object) -> dict[str, str]:
    """`stripe-apps:appIds`: a JSON object (or a config map) from manifest `id` to the app's `app_...` id."""
    if raw is None or raw == "":
        return {}
    parsed: object = raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ValueError(
                'stripe-apps:appIds must be a JSON object such as {"com.example.billing": "app_..."}'
            ) from None
    if not isinstance(parsed, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) and value.startswith("app_") for key, value in parsed.items()
    ):
        raise ValueError('stripe-apps:appIds must map manifest ids to app ids, e.g. {"com.example.billing": "app_..."}')
    return {str(key): str(value) for key, value in parsed.items()}
