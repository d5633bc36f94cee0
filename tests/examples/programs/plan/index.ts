// One app installed where stack config says (`mode`, `account`), through the SDK generated from schema.json, so
// every resource option the SDK adds from the schema is in force when preview plans.
import * as pulumi from "@pulumi/pulumi";
import * as stripeApps from "pulumi-stripe-apps";

const config = new pulumi.Config();
const appVersion = new stripeApps.AppVersion("billing-helper", { appDir: "app" });
const installation = new stripeApps.AppInstallation("billing-helper-install", {
    app: appVersion.app,
    version: appVersion.version,
    mode: (config.get("mode") ?? stripeApps.Mode.Test) as stripeApps.Mode,
    account: config.get("account"),
    requestedAccess: appVersion.requestedAccess,
    allowPermissionChanges: true,
});

export const install = installation.id;
export const installedVersion = installation.installedVersion;
export const installedAccount = installation.installedAccount;
