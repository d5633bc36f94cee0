// Two Stripe accounts in one program: an explicit provider per account (stack config `accounts`, keys as secrets),
// each uploading its own app (`app-NAME`: app ids are unique across Stripe) and installing it in test mode there.
import * as pulumi from "@pulumi/pulumi";
import * as stripeApps from "pulumi-stripe-apps";

interface Account {
    apiBase: string;
    uploader?: string;
    stripeCli?: string;
    appIds?: { [manifestId: string]: string };
}

const config = new pulumi.Config();
const accounts = config.requireObject<{ [name: string]: Account }>("accounts");

export const installed: { [name: string]: { [property: string]: pulumi.Output<string> } } = {};
export const readBack: { [name: string]: { [property: string]: pulumi.Output<string> } } = {};
for (const [name, account] of Object.entries(accounts)) {
    const provider = new stripeApps.Provider(name, { ...account, testApiKey: config.requireSecret(`${name}Key`) });
    const appVersion = new stripeApps.AppVersion(`billing-${name}`, { appDir: `app-${name}` }, { provider });
    const installation = new stripeApps.AppInstallation(
        `billing-${name}-test`,
        { app: appVersion.app, version: appVersion.version, mode: stripeApps.Mode.Test },
        { provider },
    );
    // The install read back by the id it records, as `.get()` and `pulumi import` take it (Stripe's Install API
    // names no version: where Version History cannot be read, the id carries it after `@`).
    const readId = config.getBoolean("idNamesVersion")
        ? pulumi.interpolate`${installation.id}@${appVersion.version}`
        : installation.id;
    const read = stripeApps.AppInstallation.get(`billing-${name}-read`, readId, { provider });
    installed[name] = { install: installation.id, account: installation.installedAccount, app: appVersion.app };
    readBack[name] = { app: read.app, mode: read.mode, account: read.installedAccount, version: read.version };
}
