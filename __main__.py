"""The demo stack: one app, uploaded once and installed in test mode, a sandbox and live mode."""

import pulumi

import pulumi_stripe_apps as stripe_apps

version = stripe_apps.AppVersion("billing-helper", app_dir="examples/quickstart/app")

installs = {
    mode: stripe_apps.AppInstallation(
        f"billing-helper-{mode}",
        app=version.app,
        version=version.version,
        mode=mode,
        sandbox_install_compatible=version.sandbox_install_compatible,
        requested_access=version.requested_access,
    )
    for mode in ("test", "sandbox", "live")
}

pulumi.export("app", version.app)
pulumi.export("version", version.version)
pulumi.export("fingerprint", version.fingerprint)
pulumi.export("installs", {mode: install.id for mode, install in installs.items()})
pulumi.export("status", {mode: install.status for mode, install in installs.items()})
