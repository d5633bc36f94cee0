"""Drift: the installs a scheduled CI job checks against Stripe."""

import pulumi

import pulumi_stripe_apps as stripe_apps

version = stripe_apps.AppVersion("billing-helper", app_dir="app")
installs = [
    stripe_apps.AppInstallation(
        f"billing-helper-{mode}",
        app=version.app,
        version=version.version,
        mode=mode,
        requested_access=version.requested_access,  # the live permission gate compares it with the grant
    )
    for mode in ("test", "live")
]
pulumi.export("installs", [install.id for install in installs])
