"""Control plane (`/_emulator/...`): identity, reset, clock, transitions, faults, logs, accounts, Dashboard."""

from __future__ import annotations

import functools
import json
from importlib import metadata, resources
from typing import Any

from ..models.accounts import DEFAULT_ACCOUNT
from ..models.faults import Rule
from ..versions import API_VERSION
from .base import Ctx, Reply, Route

# The one distribution that ships the emulator (and the provider, which the emulator never imports).
DISTRIBUTION = "pulumi-stripe-apps"


@functools.cache
def package_version() -> str:
    """The installed distribution's version; read once, on the first handshake, not at start-up."""
    return metadata.version(DISTRIBUTION)


def identity(ctx: Ctx) -> Reply:
    """The handshake: a client tells the emulator from Stripe by this answer, never by the URL.

    Served only where the full surface is (the control plane is never on the `stripe` surface's public
    address, which answers Stripe's 404 here), so `surface` is always `full`.
    """
    return {
        "object": "emulator",
        "name": "stripe-apps-emulator",
        "version": package_version(),
        "surface": "full",
        "api_version": API_VERSION,
    }


def _body(ctx: Ctx, allowed: set[str]) -> dict[str, Any]:
    body = ctx.body if ctx.body is not None else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    return body


def reset(ctx: Ctx) -> Reply:
    ctx.backend.reset()
    return {"reset": True, "keys": ctx.backend.accounts.seeded_keys()}


def state(ctx: Ctx) -> Reply:
    return ctx.backend.dump()


def keys(ctx: Ctx) -> Reply:
    return ctx.backend.accounts.seeded_keys()


def create_account(ctx: Ctx) -> Reply:
    body = _body(ctx, {"connected_to"})
    connected = body.get("connected_to")
    if connected is not None and not isinstance(connected, str):
        raise ValueError("connected_to must be an account id")
    return ctx.backend.accounts.create(connected_to=connected)


def create_sandbox(ctx: Ctx) -> Reply:
    return ctx.backend.accounts.create_sandbox(ctx.path["id"])


def revoke_key(ctx: Ctx) -> Reply:
    doc = ctx.backend.accounts.revoke(ctx.path["key"])
    return {"key": doc["id"], "account": doc["account"], "revoked": True}


def transitions(ctx: Ctx) -> Reply:
    return ctx.backend.transitions.configure(_body(ctx, {"install", "uninstall", "upload", "delay_ms"}))


def release(ctx: Ctx) -> Reply:
    return {"released": ctx.backend.transitions.release()}


def clock(ctx: Ctx) -> Reply:
    return {"now": ctx.backend.clock.now(), "offset": ctx.backend.clock.offset}


def advance(ctx: Ctx) -> Reply:
    seconds = _body(ctx, {"seconds"}).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError("seconds must be a non-negative number")
    ctx.backend.advance_clock(float(seconds))
    return clock(ctx)


def set_faults(ctx: Ctx) -> Reply:
    body = _body(ctx, {"seed", "rules"})
    seed, rules = body.get("seed", 0), body.get("rules", [])
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError("seed must be an integer")
    if not isinstance(rules, list):
        raise ValueError("rules must be a list")
    ctx.backend.faults.configure(seed, [Rule.parse(rule) for rule in rules])
    return ctx.backend.faults.describe()


def get_faults(ctx: Ctx) -> Reply:
    return ctx.backend.faults.describe()


def fault_log(ctx: Ctx) -> Reply:
    return {"object": "list", "data": list(ctx.backend.faults.log)}


def clear_faults(ctx: Ctx) -> Reply:
    ctx.backend.faults.clear()
    return ctx.backend.faults.describe()


def requests(ctx: Ctx) -> Reply:
    return {"object": "list", "data": list(ctx.backend.request_log)}


def clear_requests(ctx: Ctx) -> Reply:
    ctx.backend.request_log.clear()
    return {"object": "list", "data": []}


def rate_limits(ctx: Ctx) -> Reply:
    """Requests per second: `live` and `test` per account (global), `endpoint` per account and operation."""
    body = _body(ctx, {"enabled", "live", "test", "endpoint"})
    current = ctx.backend.rate_limits.describe()
    enabled, live, test, endpoint = (body.get(name, current[name]) for name in ("enabled", "live", "test", "endpoint"))
    if not isinstance(enabled, bool):
        raise ValueError("enabled must be a boolean")
    for value in (live, test, endpoint):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("live, test and endpoint must be positive integers")
    ctx.backend.rate_limits.configure(enabled=enabled, live=live, test=test, endpoint=endpoint)
    return ctx.backend.rate_limits.describe()


def dashboard_uninstall(ctx: Ctx) -> Reply:
    return ctx.backend.installs.uninstall(None, ctx.path["id"])


def dashboard_install_version(ctx: Ctx) -> Reply:
    body = _body(ctx, {"upload", "account"})
    upload, account = body.get("upload"), body.get("account")
    if not isinstance(upload, str):
        raise ValueError("upload (an appupl_... id) is required")
    if account is not None and not isinstance(account, str):
        raise ValueError("account must be an account id")
    return ctx.backend.installs.install_version(ctx.path["app"], upload, account)


def dashboard_review(ctx: Ctx) -> Reply:
    decision = _body(ctx, {"decision"}).get("decision")
    if not isinstance(decision, str):
        raise ValueError("decision must be approve or reject")
    return ctx.backend.apps.review(ctx.path["app"], decision)


def dashboard_app(ctx: Ctx) -> Reply:
    body = _body(ctx, {"app_id", "account"})
    app_id, account = body.get("app_id"), body.get("account", DEFAULT_ACCOUNT)
    if not isinstance(app_id, str) or not isinstance(account, str):
        raise ValueError("app_id (the manifest id) is required; account must be an account id")
    return ctx.backend.apps.register(app_id, account)


def installed_upload(ctx: Ctx) -> Reply:
    upload = ctx.backend.installs.installed_upload(ctx.path["id"])
    if upload is None:
        raise KeyError(ctx.path["id"])
    return {"install": ctx.path["id"], "upload": upload}


# The write routes that make an object, for the request log's `target`: what a create attempt is for.
CREATE_ROUTES = {
    ("POST", "/v1/apps/uploads"),
    ("POST", "/v1/apps/installs"),
    ("POST", "/v1/apps/secrets"),
    ("POST", "/v1/apps/apps/{id}/submit_for_review"),
}


def create_target(method: str, pattern: str, path: dict[str, str], params: dict[str, Any]) -> str | None:
    """What a create attempt is for, as the request log records it (with the caller's account and mode).

    `upload:MANIFEST_ID@VERSION`, `install:APP`, `secret:SCOPE:USER:NAME` or `review:APP`; None for any
    other route, or when the parameters do not say (a malformed manifest). Tests count attempts per target
    (one idempotency key is one attempt) against what a plan needed, so a second create shows even when
    the API answers it with the existing object.
    """
    if (method, pattern) not in CREATE_ROUTES:
        return None
    if pattern == "/v1/apps/uploads":
        try:
            manifest = json.loads(str(params.get("manifest")))
        except ValueError:
            return None
        if not isinstance(manifest, dict):
            return None
        return f"upload:{manifest.get('id')}@{manifest.get('version')}"
    if pattern == "/v1/apps/installs":
        return f"install:{params.get('app')}"
    if pattern == "/v1/apps/secrets":
        raw_scope = params.get("scope")
        scope: dict[str, Any] = raw_scope if isinstance(raw_scope, dict) else {}
        return f"secret:{scope.get('type')}:{scope.get('user') or ''}:{params.get('name')}"
    return f"review:{path.get('id')}"


def openapi(ctx: Ctx) -> Reply:
    text = resources.files("stripe_apps_emulator").joinpath("openapi.json").read_text()
    document: dict[str, Any] = json.loads(text)
    return document


def _c(method: str, path: str, handler: Any, summary: str, body: dict[str, Any] | None = None) -> Route:
    return Route(method, path, handler, summary, control=True, public=False, json_body=body)


def _obj(**props: str) -> dict[str, Any]:
    types = {
        "int": {"type": "integer"},
        "num": {"type": "number"},
        "str": {"type": "string"},
        "bool": {"type": "boolean"},
        "mode": {"type": "string", "enum": ["immediate", "delayed", "held", "fail"]},
        "rules": {"type": "array", "items": {"type": "object"}},
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {k: types[v] for k, v in props.items()},
    }


ROUTES = [
    _c("GET", "/openapi.json", openapi, "This OpenAPI document."),
    _c(
        "GET",
        "/_emulator/identity",
        identity,
        "Who answers: the emulator's full surface, its version and API version (a client's handshake).",
    ),
    _c("POST", "/_emulator/reset", reset, "Restore the deterministic seed and default settings."),
    _c("GET", "/_emulator/state", state, "Dump every stored object and setting."),
    _c("GET", "/_emulator/keys", keys, "The seeded API keys."),
    _c(
        "POST",
        "/_emulator/accounts",
        create_account,
        "Create an account; returns its keys.",
        _obj(connected_to="str"),
    ),
    _c("POST", "/_emulator/accounts/{id}/sandboxes", create_sandbox, "Create a sandbox of an account."),
    _c("POST", "/_emulator/keys/{key}/revoke", revoke_key, "Revoke an API key."),
    _c(
        "POST",
        "/_emulator/transitions",
        transitions,
        "Configure how async transitions end.",
        _obj(install="mode", uninstall="mode", upload="mode", delay_ms="int"),
    ),
    _c("POST", "/_emulator/transitions/release", release, "Complete held transitions."),
    _c("GET", "/_emulator/clock", clock, "The emulator clock."),
    _c("POST", "/_emulator/clock/advance", advance, "Advance the emulator clock.", _obj(seconds="num")),
    _c(
        "POST",
        "/_emulator/faults",
        set_faults,
        "Install seeded fault rules.",
        _obj(seed="int", rules="rules"),
    ),
    _c("GET", "/_emulator/faults", get_faults, "The fault rules."),
    _c("DELETE", "/_emulator/faults", clear_faults, "Remove all fault rules."),
    _c("GET", "/_emulator/faults/log", fault_log, "Every fault decision drawn so far."),
    _c("GET", "/_emulator/requests", requests, "The request log."),
    _c("DELETE", "/_emulator/requests", clear_requests, "Clear the request log."),
    _c(
        "POST",
        "/_emulator/rate_limits",
        rate_limits,
        "Configure rate limits: requests per second per account (`live`, `test`) and per endpoint (`endpoint`).",
        _obj(enabled="bool", live="int", test="int", endpoint="int"),
    ),
    _c(
        "GET",
        "/_emulator/installs/{id}",
        installed_upload,
        "Which upload an install runs (not on the wire object).",
    ),
    _c(
        "POST",
        "/_emulator/dashboard/installs/{id}/uninstall",
        dashboard_uninstall,
        "Dashboard: uninstall an app as a user would.",
    ),
    _c(
        "POST",
        "/_emulator/dashboard/apps",
        dashboard_app,
        "Dashboard: the app object of a manifest id (made ahead of its first upload when missing).",
        _obj(app_id="str", account="str"),
    ),
    _c(
        "POST",
        "/_emulator/dashboard/apps/{app}/install_version",
        dashboard_install_version,
        "Dashboard: install a version from Version History in test mode.",
        _obj(upload="str", account="str"),
    ),
    _c(
        "POST",
        "/_emulator/dashboard/apps/{app}/review",
        dashboard_review,
        "Dashboard (Stripe side): approve or reject a Marketplace review.",
        _obj(decision="str"),
    ),
]
