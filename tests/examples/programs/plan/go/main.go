// One app installed where stack config says (`mode`, `account`), through the Go SDK generated from schema.json, so
// every resource option the SDK adds from the schema is in force when preview plans.
package main

import (
	"github.com/pulumi-stripe-apps/pulumi-stripe-apps/sdk/go/stripeapps"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		mode := stripeapps.ModeTest
		if declared := conf.Get("mode"); declared != "" {
			mode = stripeapps.Mode(declared)
		}
		appVersion, err := stripeapps.NewAppVersion(ctx, "billing-helper", &stripeapps.AppVersionArgs{
			AppDir: pulumi.String("app"),
		})
		if err != nil {
			return err
		}
		installArgs := &stripeapps.AppInstallationArgs{
			App:                    appVersion.App,
			Version:                appVersion.Version,
			Mode:                   mode,
			RequestedAccess:        appVersion.RequestedAccess,
			AllowPermissionChanges: pulumi.Bool(true),
		}
		if account := conf.Get("account"); account != "" {
			installArgs.Account = pulumi.String(account)
		}
		installation, err := stripeapps.NewAppInstallation(ctx, "billing-helper-install", installArgs)
		if err != nil {
			return err
		}
		ctx.Export("install", installation.ID())
		ctx.Export("installedVersion", installation.InstalledVersion)
		ctx.Export("installedAccount", installation.InstalledAccount)
		return nil
	})
}
