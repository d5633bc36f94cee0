"""Marketplace: a private app installed in test and live mode, then published on the App Marketplace.

Publishing needs the app uninstalled from live mode first. Set `distribution_type: "public"` in
app/stripe-app.json (with a new `version`) and `billing:distribution` to `public`: against the emulator,
one `pulumi up` uploads the public version, uninstalls the private live install, then submits the app
for review. Stripe has no public API for review: there `pulumi preview` refuses the switch, changes
nothing, and names the Dashboard steps.
"""

import pulumi

import pulumi_stripe_apps as stripe_apps

distribution = pulumi.Config("billing").get("distribution") or "private"

version = stripe_apps.AppVersion("billing-helper", app_dir="app")
test = stripe_apps.AppInstallation("billing-helper-test", app=version.app, version=version.version, mode="test")
live = stripe_apps.AppInstallation(
    "billing-helper-live",
    app=version.app,
    version=version.version,
    mode="live",
    distribution=distribution,
    requested_access=version.requested_access,
)

pulumi.export("distribution", version.distribution_type)
pulumi.export("live", live.id)
pulumi.export("live_status", live.status)
