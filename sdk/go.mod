module github.com/pulumi-stripe-apps/pulumi-stripe-apps/sdk

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v3.269.0
