"""Pulumi resources for Stripe Apps: versions, installs and secrets as code."""

from pulumi_stripe_apps.resources.app_installation import AppInstallation
from pulumi_stripe_apps.resources.app_secret import AppSecret
from pulumi_stripe_apps.resources.app_version import AppVersion

__all__ = ["AppInstallation", "AppSecret", "AppVersion"]
