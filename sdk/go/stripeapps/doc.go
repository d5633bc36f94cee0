// Stripe Apps as code: app versions, installs and Secret Store entries. Served by the native provider plugin pulumi-resource-stripe-apps (every language) and, for Python programs, by the dynamic resources of pulumi_stripe_apps.
package stripeapps
