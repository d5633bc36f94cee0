"""Uploads the Stripe App in `appDir` and installs it in test mode."""

import pulumi

import pulumi_stripe_apps as stripe_apps

config = pulumi.Config()
version = stripe_apps.AppVersion("app", app_dir=config.require("appDir"))
install = stripe_apps.AppInstallation("app-test", app=version.app, version=version.version, mode="test")

pulumi.export("app", version.app)
pulumi.export("install", install.id)
