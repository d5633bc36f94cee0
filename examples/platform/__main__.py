"""Platform: one upload of the app, installed on the platform's own account and on every connected account in config.

Add or remove an account in `platform:connectedAccounts` and `pulumi up` installs or uninstalls the app there;
a version bump upgrades every install in place. Each install on a connected account is made by the platform
(the app's developer) acting on that account with `Stripe-Account`.
"""

import pulumi

import pulumi_stripe_apps as stripe_apps

config = pulumi.Config("platform")
mode = config.get("mode") or "test"
connected_accounts: list[str] = config.require_object("connectedAccounts")

version = stripe_apps.AppVersion("platform-helper", app_dir="app")
own = stripe_apps.AppInstallation(
    "platform-helper-own",
    app=version.app,
    version=version.version,
    mode=mode,
    requested_access=version.requested_access,
)
connected = {
    account: stripe_apps.AppInstallation(
        f"platform-helper-{account}",
        app=version.app,
        version=version.version,
        mode=mode,
        account=account,
        requested_access=version.requested_access,
    )
    for account in connected_accounts
}

pulumi.export("version", version.version)
pulumi.export("installs", {"own": own.id, **{account: install.id for account, install in connected.items()}})
pulumi.export("status", {account: install.status for account, install in connected.items()})
