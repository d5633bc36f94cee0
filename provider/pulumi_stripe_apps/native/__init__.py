"""The native provider plugin `pulumi-resource-stripe-apps`: the resources' one core behind Pulumi's gRPC protocol."""
