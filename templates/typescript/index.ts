// Uploads the Stripe App in `appDir` and installs it in test mode.
import * as pulumi from "@pulumi/pulumi";
import * as stripeApps from "pulumi-stripe-apps";

const config = new pulumi.Config();
const version = new stripeApps.AppVersion("app", { appDir: config.require("appDir") });
const install = new stripeApps.AppInstallation("app-test", {
    app: version.app, version: version.version, mode: stripeApps.Mode.Test,
});

export const app = version.app;
export const installId = install.id;
