"""Pulumi resources for Stripe Apps: versions, installs and secrets as code."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_stripe_apps.resources.app_installation import AppInstallation
    from pulumi_stripe_apps.resources.app_secret import AppSecret
    from pulumi_stripe_apps.resources.app_version import AppVersion
    from pulumi_stripe_apps.resources.provider import Provider

__all__ = ["AppInstallation", "AppSecret", "AppVersion", "Provider", "__version__"]
__version__ = "0.1.0"

# Loaded on first use: the emulator, the language host and the manifest validator import parts of this
# package without wanting Pulumi and the Stripe SDK loaded.
_RESOURCES = {
    "AppInstallation": "pulumi_stripe_apps.resources.app_installation",
    "AppSecret": "pulumi_stripe_apps.resources.app_secret",
    "AppVersion": "pulumi_stripe_apps.resources.app_version",
    "Provider": "pulumi_stripe_apps.resources.provider",
}


def __getattr__(name: str) -> Any:
    module = _RESOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_stripe_apps' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
