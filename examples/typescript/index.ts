// Upload the app in ./app and install it in test mode, with the SDK generated from schema.json (sdk/nodejs).
import * as stripeApps from "pulumi-stripe-apps";

const appVersion = new stripeApps.AppVersion("billing-helper", { appDir: "app" });
const installation = new stripeApps.AppInstallation("billing-helper-test", {
    app: appVersion.app,
    version: appVersion.version,
    mode: "test",
});

export const app = appVersion.app;
export const version = appVersion.version;
export const install = installation.id;
export const status = installation.status;
