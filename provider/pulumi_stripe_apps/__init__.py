"""Pulumi resources for Stripe Apps: versions and installs as code."""

from pulumi_stripe_apps.resources.app_installation import AppInstallation
from pulumi_stripe_apps.resources.app_version import AppVersion

__all__ = ["AppInstallation", "AppVersion"]
