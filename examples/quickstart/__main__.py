"""Quickstart: upload the app in ./app and install it in test mode."""

import pulumi

import pulumi_stripe_apps as stripe_apps

version = stripe_apps.AppVersion("billing-helper", app_dir="app")
install = stripe_apps.AppInstallation("billing-helper-test", app=version.app, version=version.version, mode="test")

pulumi.export("app", version.app)
pulumi.export("version", version.version)
pulumi.export("install", install.id)
pulumi.export("status", install.status)
