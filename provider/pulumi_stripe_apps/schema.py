"""The Pulumi package schema of the resources, generated from their FIELDS tables (`make schema`).

It is the native provider's schema (`pulumi-resource-stripe-apps` serves it from GetSchema, SDKs are generated
from it): tokens `stripe-apps:index:NAME`, property names in camelCase, enum types for closed sets of values, the
`stripe-apps:*` config keys with the API keys as secrets, and aliases from the dynamic resources' types so a stack
moves to the native ones. Replacement is the provider's decision (its Diff): REPLACE fields are marked
`willReplaceOnChanges`, which documents it, never `replaceOnChanges`, which the SDKs would turn into a forced replace
whenever preview cannot know a value yet.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from dataclasses import dataclass
from typing import Any

from pulumi_stripe_apps import __version__
from pulumi_stripe_apps.fields import UPLOADER, Choices, Field, Policy

PACKAGE = "stripe-apps"
REPOSITORY = "https://github.com/pulumi-stripe-apps/pulumi-stripe-apps"
# The Go SDK's module: the repository's sdk/ directory (go.mod at sdk/go.mod, versions tagged sdk/vVERSION).
GO_MODULE = REPOSITORY.removeprefix("https://") + "/sdk"
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


@dataclass(frozen=True)
class ConfigKey:
    """One `stripe-apps:*` stack config key."""

    type: str
    description: str
    example: str
    secret: bool = False
    # The type of a map's values (`appIds`: manifest id -> app id).
    values: str | None = None
    # Declared as an enum type and named in the description; the variable stays a string: the Node.js SDK reads an
    # enum-typed config variable with `getObject` (JSON), which refuses a plain `cli`.
    choices: Choices | None = None


CONFIG: dict[str, ConfigKey] = {
    "apiBase": ConfigKey(
        "string",
        "API base URL; https://api.stripe.com by default, the emulator's URL locally.",
        '"http://127.0.0.1:12111"',
    ),
    "testApiKey": ConfigKey(
        "string", "The `sk_test_`/`rk_test_` key: uploads and test-mode objects.", '"rk_test_51NvExample"', True
    ),
    "sandboxApiKey": ConfigKey(
        "string", "The sandbox's `sk_test_`/`rk_test_` key, for `mode: sandbox`.", '"rk_test_51SbxExample"', True
    ),
    "liveApiKey": ConfigKey(
        "string", "The `sk_live_`/`rk_live_` key, for `mode: live`.", '"rk_live_51NvExample"', True
    ),
    "uploader": ConfigKey(
        "string",
        "How AppVersions are uploaded, a value of the `Uploader` enum: `cli`, the Stripe CLI (`stripe apps upload`), "
        "the only uploader Stripe offers, or `api`, the local emulator's upload API, refused anywhere else. By "
        "default `cli` on Stripe and `api` against the emulator.",
        '"cli"',
        choices=UPLOADER,
    ),
    "stripeCli": ConfigKey("string", "Path of the Stripe CLI for the `cli` uploader; `stripe` by default.", '"stripe"'),
    "uploadTimeout": ConfigKey("number", "Seconds to wait for an upload (300 by default).", "600"),
    "pollTimeout": ConfigKey("number", "Seconds to wait for installs and uninstalls (120 by default).", "300"),
    "appIds": ConfigKey(
        "object",
        "Map from a manifest id to its app object id, as the Dashboard shows it (Stripe's API never does). Stack "
        "config written before it was a map, a JSON object in a string, is read too.",
        '{"com.example.billing": "app_1NfPz2ExampleApp"}',
        values="string",
    ),
}


def build_schema() -> dict[str, Any]:
    resources = {token(name): _resource(name, module_name) for name, module_name in resource_modules()}
    return {
        "name": PACKAGE,
        "displayName": "Stripe Apps",
        "version": __version__,
        "description": (
            "Stripe Apps as code: app versions, installs and Secret Store entries. Served by the native provider "
            "plugin pulumi-resource-stripe-apps (every language) and, for Python programs, by the dynamic "
            "resources of pulumi_stripe_apps."
        ),
        "keywords": ["pulumi", "stripe", "stripe-apps", "category/utility", "kind/native"],
        "homepage": REPOSITORY,
        "repository": REPOSITORY,
        "publisher": "pulumi-stripe-apps",
        "license": "Apache-2.0",
        "config": {"variables": {key: _config_property(spec) for key, spec in CONFIG.items()}},
        "provider": {
            "description": (
                "The settings of one Stripe account, as the `stripe-apps:*` stack config holds them for the default "
                "provider: an explicit provider resource per account lets one program manage several. Keys are "
                "secrets wherever they come from."
            ),
            "inputProperties": {key: _config_property(spec) for key, spec in CONFIG.items()},
        },
        "types": {token(choices.name): _enum_type(choices) for choices in _enums()},
        "language": {
            # A Python SDK generated from this schema gets a name of its own: `pulumi_stripe_apps` is the package of
            # the dynamic resources, which it would shadow.
            "python": {"packageName": "pulumi_stripe_apps_native"},
            "nodejs": {"packageName": "pulumi-stripe-apps", "dependencies": {"@pulumi/pulumi": "^3.0.0"}},
            "go": {"importBasePath": f"{GO_MODULE}/go/stripeapps", "modulePath": GO_MODULE},
        },
        "resources": resources,
    }


def render_schema() -> str:
    """`build_schema()` as committed in schema.json: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(build_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _enums() -> list[Choices]:
    """Each enum type once, in the order first used (config, then the resources' fields)."""
    found: dict[str, Choices] = {}
    for spec in CONFIG.values():
        if spec.choices is not None:
            found.setdefault(spec.choices.name, spec.choices)
    for _, module_name in resource_modules():
        for field in fields_of(module_name):
            if field.choices is not None:
                found.setdefault(field.choices.name, field.choices)
    return list(found.values())


def _enum_type(choices: Choices) -> dict[str, Any]:
    return {
        "type": "string",
        "description": choices.description,
        "enum": [{"value": value, "description": text} for value, text in choices.values],
    }


def _typed(kind: str | Choices) -> dict[str, Any]:
    """A property's type: a primitive, or a reference to one of the schema's enum types."""
    if isinstance(kind, Choices):
        return {"$ref": f"#/types/{token(kind.name)}"}
    return {"type": kind}


def _described(description: str, example: str) -> str:
    return f"{description}\n\nExample: `{example}`"


def _config_property(spec: ConfigKey) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": spec.type, "description": _described(spec.description, spec.example)}
    if spec.values is not None:
        prop["additionalProperties"] = {"type": spec.values}
    if spec.secret:
        prop["secret"] = True
    return prop


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
    spec: dict[str, Any] = {
        **_typed(field.choices or field.type),
        "description": _described(field.description, field.example),
    }
    if field.type == "array":
        spec["items"] = {"type": "string"}
    if field.type == "object":
        # The only object-typed field is an access map: kind of access -> the names or URLs asked for.
        spec["additionalProperties"] = {"type": "array", "items": {"type": "string"}}
    if field.secret:
        spec["secret"] = True
    # The provider's Diff decides replacements (an unknown `app` at preview is no replace); the schema documents
    # them. `replaceOnChanges` would make every SDK force a replace on any reported change of the property.
    if field.policy is Policy.REPLACE:
        spec["willReplaceOnChanges"] = True
    return spec
