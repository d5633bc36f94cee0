"""Rollback: Stripe installs the newest upload, so going back means uploading the old content anew."""

import pulumi

import pulumi_stripe_apps as stripe_apps

version = stripe_apps.AppVersion("billing-helper", app_dir="app")
live = stripe_apps.AppInstallation(
    "billing-helper-live",
    app=version.app,
    version=version.version,
    mode="live",
    requested_access=version.requested_access,
)

pulumi.export("version", version.version)
pulumi.export("fingerprint", version.fingerprint)
pulumi.export("installed_version", live.installed_version)
