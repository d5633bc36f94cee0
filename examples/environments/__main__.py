"""Environments: the same fingerprinted upload promoted through dev (test), staging (sandbox) and prod (live).

Every stack declares the same AppVersion: the first `pulumi up` uploads it, the others adopt that upload
(same app id, version and fingerprint), so what reaches prod is byte for byte what ran in dev.
"""

import pulumi

import pulumi_stripe_apps as stripe_apps

config = pulumi.Config("billing")
mode = config.require("mode")
distribution = config.get("distribution") or "private"
protect = config.get_bool("protect") or False

version = stripe_apps.AppVersion("billing-helper", app_dir="app")
install = stripe_apps.AppInstallation(
    f"billing-helper-{mode}",
    app=version.app,
    version=version.version,
    mode=mode,
    distribution=distribution,
    allow_permission_changes=config.get_bool("allowPermissionChanges") or False,
    sandbox_install_compatible=version.sandbox_install_compatible,
    requested_access=version.requested_access,
    opts=pulumi.ResourceOptions(protect=protect),
)

pulumi.export("fingerprint", version.fingerprint)
pulumi.export("upload", version.upload_id)
pulumi.export("install", install.id)
pulumi.export("status", install.status)
pulumi.export("drift", install.drift)
