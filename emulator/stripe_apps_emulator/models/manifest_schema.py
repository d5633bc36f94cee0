"""Upload validation: Stripe's published manifest schema plus the documented server rules it lags behind."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

__all__ = [
    "PERMISSIONS_ADDED",
    "PERMISSIONS_MISSPELLED",
    "PERMISSIONS_REFUSED",
    "SCHEMA_RESOURCE",
    "SERVER_RULES",
    "ServerRule",
    "format_path",
    "published_schema",
    "server_schema",
    "upload_errors",
]

# Stripe's schema as published (stripe/stripe-apps, schema/stripe-app.schema.json); see data/README.md.
SCHEMA_RESOURCE = "data/stripe-app.schema.json"

Schema = dict[str, Any]
Loc = tuple[str | int, ...]


# ---------------------------------------------------------------------------------------------------
# What the server does that the published schema does not say. Sources:
#   docs  = /work/shared/docs/stripe-apps.md section 6 (the manifest; "the published schema lags the server")
#   data  = /work/shared/data/README.md (what the corpus of real manifests shows the server accepts)
# Everything not listed here is the published schema, unchanged: required keys, the closed root, types,
# patterns (id, component, URLs), enums (distribution_type, stripe_api_access_type, viewports, ...).
# ---------------------------------------------------------------------------------------------------
PERMISSIONS_REFUSED: dict[str, str] = {
    "webhook_write": "in the schema's list, but the server refuses it (docs)",
}
# The schema's list misspells these; the server knows the right spelling only (data).
PERMISSIONS_MISSPELLED: dict[str, str] = {
    "apply_pay_domain_read": "apple_pay_domain_read",
    "apply_pay_domain_write": "apple_pay_domain_write",
    "shpping_rate_write": "shipping_rate_write",
}
# Accepted by the server, absent from the schema's list: `entitlement_read` (docs: rejected once, accepted
# now, #996), the correct spellings above, and the names the data README counts as the schema's lag
# (promotion_code_*, terminal_*, tax_settings_*, secret_read, webhook_endpoint_write, ...: every non-schema
# name in the corpus except the ones it calls author mistakes, and except the provisioning preview below).
PERMISSIONS_ADDED: frozenset[str] = frozenset(
    {
        "entitlement_read",
        "apple_pay_domain_read",
        "apple_pay_domain_write",
        "shipping_rate_write",
        "promotion_code_read",
        "promotion_code_write",
        "terminal_configuration_read",
        "terminal_configuration_write",
        "terminal_connection_token_write",
        "terminal_location_read",
        "terminal_location_write",
        "terminal_reader_read",
        "terminal_reader_write",
        "tax_settings_read",
        "tax_settings_write",
        "tax_calculations_and_transactions_read",
        "tax_calculations_and_transactions_write",
        "report_runs_and_report_types_write",
        "review_read",
        "review_write",
        "secret_read",
        "webhook_endpoint_write",
        "api_key_write",
    }
)
VIEWPORTS_ADDED: tuple[str, ...] = ("stripe.dashboard.fullpage",)
POST_INSTALL_TYPES_ADDED: tuple[str, ...] = ("modal",)
# Top-level keys the closed root of the schema lacks but the server takes, with the shape it takes.
KEYS_ADDED: dict[str, Schema] = {
    "extensions": {"type": "null"},
    "connect_permissions": {"type": "null"},
    "app_backend": {"type": ["object", "null"]},
}
REQUIRED_DROPPED: tuple[str, ...] = ("ui_extension",)


@dataclass(frozen=True)
class ServerRule:
    """One way the server differs from the published schema: where it comes from and what the emulator does."""

    name: str
    source: str
    does: str
    patch: Callable[[Schema], None] | None = None
    check: Callable[[dict[str, Any]], Iterator[tuple[Loc, str]]] | None = None


def _permission_enum(schema: Schema) -> list[str]:
    enum: list[str] = schema["properties"]["permissions"]["items"]["properties"]["permission"]["enum"]
    return enum


def _patch_permissions(schema: Schema) -> None:
    enum = _permission_enum(schema)
    dropped = set(PERMISSIONS_REFUSED) | set(PERMISSIONS_MISSPELLED)
    enum[:] = sorted({name for name in enum if name not in dropped} | PERMISSIONS_ADDED)


def _patch_viewports(schema: Schema) -> None:
    views = schema["properties"]["ui_extension"]["properties"]["views"]
    views["items"]["properties"]["viewport"]["enum"].extend(VIEWPORTS_ADDED)


def _patch_post_install(schema: Schema) -> None:
    # The schema's first object branch is the url-less one (settings, onboarding); `modal` joins it.
    branches = schema["properties"]["post_install_action"]["oneOf"]
    urlless = next(b for b in branches if b.get("type") == "object" and "url" not in b["properties"])
    consts = urlless["properties"]["type"]["allOf"][1]["oneOf"]
    consts.extend({"const": kind} for kind in POST_INSTALL_TYPES_ADDED)


def _patch_keys(schema: Schema) -> None:
    schema["properties"].update(copy.deepcopy(KEYS_ADDED))


def _patch_required(schema: Schema) -> None:
    schema["required"] = [key for key in schema["required"] if key not in REQUIRED_DROPPED]


def _patch_icon(schema: Schema) -> None:
    del schema["properties"]["icon"]["pattern"]


def _check_connect_src(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    ui = data.get("ui_extension")
    csp = ui.get("content_security_policy") if isinstance(ui, dict) else None
    urls = csp.get("connect-src") if isinstance(csp, dict) else None
    if not isinstance(urls, list):
        return
    for i, url in enumerate(urls):
        if not isinstance(url, str):
            continue
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = urlsplit("")
        if parts.scheme != "https" or not parts.netloc:
            loc: Loc = ("ui_extension", "content_security_policy", "connect-src", i)
            yield loc, f"{url!r} is not an https URL with a host: the UI may only call https origins."


SERVER_RULES: tuple[ServerRule, ...] = (
    ServerRule(
        "permissions",
        "docs, data",
        "the permission list is the server's: webhook_write refused, the schema's misspellings replaced, "
        "entitlement_read and the other names the schema lags on accepted",
        patch=_patch_permissions,
    ),
    ServerRule("viewport_fullpage", "docs", "viewport `stripe.dashboard.fullpage` accepted", patch=_patch_viewports),
    ServerRule(
        "post_install_modal", "docs", "post_install_action type `modal` accepted (no url)", patch=_patch_post_install
    ),
    ServerRule(
        "legacy_keys",
        "docs, data",
        "`extensions: null` and `connect_permissions: null` (written by Stripe's CLI and example) and "
        "`app_backend` (older CLI templates) accepted; any other value of the first two is refused",
        patch=_patch_keys,
    ),
    ServerRule(
        "backend_only", "data", "`ui_extension` may be omitted (backend-only and OAuth apps)", patch=_patch_required
    ),
    ServerRule(
        "icon_form",
        "data",
        "`icon` is any string (real apps use .svg files, bare names and URLs); it stays required",
        patch=_patch_icon,
    ),
    ServerRule(
        "connect_src_https",
        "docs",
        "connect-src URLs need https and a path: the schema's pattern (a path) plus https with a host",
        check=_check_connect_src,
    ),
    ServerRule(
        "sandbox_install_compatible",
        "docs",
        "a boolean, as published; kept on the upload for the sandbox install gate (models/installs.py)",
    ),
)


# ---------------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------------
@cache
def _published_text() -> str:
    return resources.files("stripe_apps_emulator").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


def published_schema() -> Schema:
    """Stripe's published schema, as shipped (a fresh copy each call)."""
    schema: Schema = json.loads(_published_text())
    return schema


def server_schema() -> Schema:
    """The published schema with every `SERVER_RULES` patch applied (a fresh copy each call)."""
    return copy.deepcopy(_server()[0])


@cache
def _server() -> tuple[Schema, Draft7Validator]:
    schema = published_schema()
    for rule in SERVER_RULES:
        if rule.patch is not None:
            rule.patch(schema)
    Draft7Validator.check_schema(schema)
    # No format checker: `format: uri` is annotation only here, as it is in most validators by default.
    return schema, Draft7Validator(schema)


# ---------------------------------------------------------------------------------------------------
# Errors on the wire: [{"path": "permissions[2].permission", "message": "..."}]
# ---------------------------------------------------------------------------------------------------
_SIMPLE_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_MAX_LISTED = 10


def format_path(loc: Loc) -> str:
    """`("permissions", 2, "permission")` -> `permissions[2].permission`; odd keys as `["a.b"]`; root is ""."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SIMPLE_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _issues(error: ValidationError) -> Iterator[tuple[Loc, str]]:
    loc: Loc = tuple(error.absolute_path)
    instance: Any = error.instance
    value: Any = error.validator_value
    schema: Any = error.schema
    if error.validator == "required" and isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield (*loc, key), f"required key `{key}` is missing."
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        known = schema.get("properties", {})
        for key in instance:
            if key not in known:
                where = "manifest" if not loc else "object"
                yield (*loc, key), f"unknown key `{key}`: the {where} does not allow it."
    elif error.validator == "enum":
        yield loc, _enum_message(loc, instance, list(value))
    elif error.validator == "oneOf" and error.context:
        yield from _one_of_issues(error, loc)
    elif error.validator == "type":
        expected = value if isinstance(value, list) else [value]
        yield loc, f"expected {' or '.join(expected)}, got {_json_type(instance)}."
    elif error.validator == "pattern":
        yield loc, f"{_short(instance)} does not match {value}."
    elif error.validator == "minLength" and value == 1:
        yield loc, "must not be empty."
    elif error.validator == "const":
        yield loc, f"{_short(instance)} is not {value!r}."
    else:
        yield loc, _clip(f"{error.message}.")


def _one_of_issues(error: ValidationError, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Say why the closest branch failed, not "is not valid under any of the given schemas".

    The schema's one `oneOf` (post_install_action) is null or an object discriminated by its `type`:
    branches of another JSON type are dropped, then the branch whose `type` matched, if any, speaks.
    """
    options: Any = error.validator_value
    instance: Any = error.instance
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    shaped = {
        i: subs
        for i, subs in branches.items()
        if not any(sub.validator == "type" and not sub.relative_path for sub in subs)
    }
    if not shaped:
        expected: list[str] = []
        for branch in options:
            kind = branch.get("type")
            expected.extend(kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else [])
        yield loc, f"expected {' or '.join(dict.fromkeys(expected))}, got {_json_type(instance)}."
        return
    matched = [subs for subs in shaped.values() if not any(tuple(sub.relative_path)[:1] == ("type",) for sub in subs)]
    if matched:
        for sub in min(matched, key=len):
            yield from _issues(sub)
        return
    value = instance.get("type") if isinstance(instance, dict) else None
    allowed: list[str] = []
    for i in sorted(shaped):
        allowed.extend(_consts(options[i].get("properties", {}).get("type", {})))
    yield (*loc, "type"), f"{_short(value)} is not one of {', '.join(map(repr, allowed))}."


def _consts(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["const"]] if isinstance(node.get("const"), str) else []
        return own + [c for child in node.values() for c in _consts(child)]
    if isinstance(node, list):
        return [c for child in node for c in _consts(child)]
    return []


def _json_type(value: object) -> str:
    names: tuple[tuple[type, str], ...] = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    )
    if value is None:
        return "null"
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)


def _short(value: object) -> str:
    return _clip(repr(value), 80)


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _enum_message(loc: Loc, value: Any, allowed: list[Any]) -> str:
    if loc[-1:] == ("permission",):
        if value in PERMISSIONS_REFUSED:
            return f"{value!r} is refused: Stripe does not grant it to apps."
        if value in PERMISSIONS_MISSPELLED:
            return f"{value!r} is not a permission; Stripe's name is {PERMISSIONS_MISSPELLED[value]!r}."
        return f"{value!r} is not a permission Stripe grants to apps."
    if len(allowed) <= _MAX_LISTED:
        return f"{value!r} is not one of {', '.join(map(repr, allowed))}."
    return f"{value!r} is not an allowed value ({len(allowed)} values are)."


def upload_errors(data: object) -> list[dict[str, str]]:
    """What upload processing reports for a parsed manifest: [] when Stripe would accept it."""
    found: dict[tuple[str, str], None] = {}
    for error in _server()[1].iter_errors(data):
        for loc, message in _issues(error):
            found.setdefault((format_path(loc), message), None)
    if isinstance(data, dict):
        for rule in SERVER_RULES:
            if rule.check is not None:
                for loc, message in rule.check(data):
                    found.setdefault((format_path(loc), message), None)
    return [{"path": path, "message": message} for path, message in sorted(found)]
