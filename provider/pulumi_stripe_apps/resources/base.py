"""What every resource's provider shares: settings from `configure()`, and nothing worth pickling."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from pulumi_stripe_apps.settings import Settings, load_settings


class ConfiguredProvider(ResourceProvider):
    """Holds no state: settings come from `configure()` in the provider process and are never pickled.

    The engine pickles the provider object into every resource's state and reuses it long after
    (refresh, destroy), so it carries nothing: no key, no client, no settings.
    """

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def configure(self, req: ConfigureRequest) -> None:
        self._settings = load_settings(req.config.get)

    def settings(self) -> Settings:
        found: Settings | None = getattr(self, "_settings", None)
        return found if found is not None else load_settings(lambda _key: None)
