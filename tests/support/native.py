"""The native provider's resources in Python test programs: `pulumi.CustomResource` with the schema's tokens.

Python users have the dynamic resources; these stand in for what the generated SDKs of other languages do, so
the same behaviour tests run through both fronts.
"""

from __future__ import annotations

from typing import Any

import pulumi

from pulumi_stripe_apps.schema import camel, dynamic_type, fields_of, token

MODULES = {
    "AppVersion": "pulumi_stripe_apps.resources.app_version",
    "AppInstallation": "pulumi_stripe_apps.resources.app_installation",
    "AppSecret": "pulumi_stripe_apps.resources.app_secret",
}


def resource(kind: str, name: str, opts: pulumi.ResourceOptions | None = None, **args: Any) -> pulumi.CustomResource:
    """A native `kind` with snake_case `args`; every output is readable as a camelCase attribute.

    It aliases the dynamic resource's type, as the generated SDKs do from the schema, so a stack made with
    the dynamic resources moves to it without a replace.
    """
    props: dict[str, Any] = {camel(field.name): None for field in fields_of(MODULES[kind]) if field.output}
    props.update({camel(key): value for key, value in args.items()})
    return pulumi.CustomResource(token(kind), name, props, pulumi.ResourceOptions.merge(declared_options(kind), opts))


def declared_options(kind: str) -> pulumi.ResourceOptions:
    """The options a generated SDK declares for every native `kind` from the schema: the alias of the dynamic
    resource's type, and its secret outputs."""
    secret = [camel(field.name) for field in fields_of(MODULES[kind]) if field.secret]
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=dynamic_type(kind))], additional_secret_outputs=secret)
