"""The Pulumi package schema of the resources, generated from their FIELDS tables (`make schema`).

It is the native provider's schema (`pulumi-resource-stripe-apps` serves it from GetSchema, SDKs are generated
from it): tokens `stripe-apps:index:NAME`, property names in camelCase, the `stripe-apps:*` config keys with
the API keys as secrets, and aliases from the dynamic resources' types so a stack moves to the native ones.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from typing import Any

from pulumi_stripe_apps import __version__
from pulumi_stripe_apps.fields import Field, Policy

PACKAGE = "stripe-apps"
DYNAMIC_MODULE = "stripeapps"  # the `module=` of every `Resource` subclass

# Fixed and explicit: a resource reaches the schema only by being listed here.
RESOURCES: tuple[tuple[str, str], ...] = (
    ("AppVersion", "pulumi_stripe_apps.resources.app_version"),
    ("AppInstallation", "pulumi_stripe_apps.resources.app_installation"),
)
# Listed only when its module exists.
OPTIONAL_RESOURCES: tuple[tuple[str, str], ...] = (("AppSecret", "pulumi_stripe_apps.resources.app_secret"),)


def resource_modules() -> list[tuple[str, str]]:
    """(name, module) of each resource in the schema, optional ones only when importable."""
    present = [entry for entry in OPTIONAL_RESOURCES if importlib.util.find_spec(entry[1]) is not None]
    return [*RESOURCES, *present]


def token(name: str) -> str:
    return f"{PACKAGE}:index:{name}"


def dynamic_type(name: str) -> str:
    return f"pulumi-python:dynamic/{DYNAMIC_MODULE}:{name}"


def fields_of(module_name: str) -> tuple[Field, ...]:
    fields: tuple[Field, ...] = importlib.import_module(module_name).FIELDS
    return fields


def camel(name: str) -> str:
    """A field's schema name: `allow_permission_changes` -> `allowPermissionChanges`."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# stack config key -> (type, description, secret)
CONFIG: dict[str, tuple[str, str, bool]] = {
    "apiBase": ("string", "API base URL; default https://api.stripe.com (the emulator's URL locally).", False),
    "testApiKey": ("string", "sk_test_/rk_test_ key: uploads and test-mode installs.", True),
    "sandboxApiKey": ("string", "The sandbox's sk_test_/rk_test_ key.", True),
    "liveApiKey": ("string", "sk_live_/rk_live_ key for live installs.", True),
    "uploader": ("string", "`cli` (`stripe apps upload`) or `api` (the emulator's upload surface).", False),
    "stripeCli": ("string", "Path of the Stripe CLI for the `cli` uploader (default `stripe`).", False),
    "uploadTimeout": ("string", "Seconds to wait for an upload (default 300).", False),
    "pollTimeout": ("string", "Seconds to wait for installs and uninstalls (default 120).", False),
    "appIds": ("string", "JSON object from a manifest id to its app object id (app_...).", False),
}


def build_schema() -> dict[str, Any]:
    return {
        "name": PACKAGE,
        "displayName": "Stripe Apps",
        "version": __version__,
        "description": (
            "Stripe Apps as code: app versions, installs and Secret Store entries. Served by the native provider "
            "plugin pulumi-resource-stripe-apps (every language) and, for Python programs, by the dynamic "
            "resources of pulumi_stripe_apps."
        ),
        "keywords": ["pulumi", "stripe", "stripe-apps", "category/utility"],
        "license": "Apache-2.0",
        "config": {
            "variables": {
                key: {"type": kind, "description": text, **({"secret": True} if secret else {})}
                for key, (kind, text, secret) in CONFIG.items()
            }
        },
        "language": {
            "python": {"packageName": "pulumi_stripe_apps"},
            "nodejs": {"packageName": "pulumi-stripe-apps", "dependencies": {"@pulumi/pulumi": "^3.0.0"}},
            "go": {"importBasePath": "github.com/pulumi-stripe-apps/sdk/go/stripeapps"},
        },
        "resources": {token(name): _resource(name, module_name) for name, module_name in resource_modules()},
    }


def render_schema() -> str:
    """`build_schema()` as committed in schema.json: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(build_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _resource(name: str, module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    summary = (module.__doc__ or name).strip().splitlines()[0]
    table = fields_of(module_name)
    inputs = [field for field in table if field.is_input]
    outputs = [field for field in table if field.output]
    description = (
        f"{summary}\n\nPython programs may also use the dynamic resource `pulumi_stripe_apps.{name}` (type "
        f"`{dynamic_type(name)}`); this type aliases it, so a stack moves between them without a replace."
    )
    resource: dict[str, Any] = {
        "description": description,
        "inputProperties": {camel(field.name): _property(field) for field in inputs},
        "requiredInputs": [camel(field.name) for field in inputs if field.required],
        "properties": {camel(field.name): _property(field) for field in outputs},
        # Outputs that are always set: the SDKs type them as present (`Output<string>`, not `| undefined`).
        "required": [camel(field.name) for field in outputs if field.always_set],
        "aliases": [{"type": dynamic_type(name)}],
    }
    return resource


def _property(field: Field) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": field.type, "description": field.description}
    if field.type == "array":
        spec["items"] = {"type": "string"}
    if field.type == "object":
        # The only object-typed field is an access map: kind of access -> the names or URLs asked for.
        spec["additionalProperties"] = {"type": "array", "items": {"type": "string"}}
    if field.secret:
        spec["secret"] = True
    # Pulumi's schema marks replacement per property (PropertySpec.replaceOnChanges), not per resource.
    if field.policy is Policy.REPLACE:
        spec["replaceOnChanges"] = True
    return spec
