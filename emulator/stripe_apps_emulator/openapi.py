"""Build the OpenAPI 3.0 document of everything served, from the route table."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from . import dashboard
from .params import RANGE_KEYS, P
from .routes import Route, all_routes

STR = {"type": "string"}
NSTR = {"type": "string", "nullable": True}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
STRS = {"type": "array", "items": STR}
CSP = {
    "type": "object",
    "required": ["connect_src", "image_src"],
    "properties": {"connect_src": STRS, "image_src": STRS},
}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


SCHEMAS: dict[str, Any] = {
    # The fields the emulator fills (COVERAGE.md); Stripe's account object has many more.
    "account": _object(
        {
            "id": STR,
            "object": {"type": "string", "enum": ["account"]},
            "created": INT,
            "type": {"type": "string", "enum": ["custom", "express", "none", "standard"]},
        }
    ),
    "apps.install": _object(
        {
            "id": STR,
            "object": {"type": "string", "enum": ["apps.install"]},
            "account": STR,
            "app": STR,
            "approval_required": BOOL,
            "auth_code": {
                **NSTR,
                "description": "For OAuth apps installed with a PKCE `code_challenge` by their developer on a "
                "connected account: the authorization code to exchange with the matching verifier.",
            },
            "channel": {
                "type": "string",
                "enum": ["private_live", "private_test", "public", "review", "testing"],
            },
            "content_security_policy_granted": CSP,
            "content_security_policy_pending": CSP,
            "created": INT,
            "created_by": NSTR,
            "endpoints_granted": STRS,
            "endpoints_pending": STRS,
            "livemode": BOOL,
            "permissions_granted": STRS,
            "permissions_pending": STRS,
            "status": {
                "type": "string",
                "enum": ["install_failed", "installed", "installing", "uninstall_failed", "uninstalling"],
            },
        }
    ),
    "apps.secret": _object(
        {
            "id": STR,
            "object": {"type": "string", "enum": ["apps.secret"]},
            "created": INT,
            "expires_at": {"type": "integer", "nullable": True},
            "livemode": BOOL,
            "name": STR,
            "payload": NSTR,
            # `user` only for user scope.
            "scope": _object({"type": {"type": "string", "enum": ["account", "user"]}}, {"user": STR}),
        },
        # Only on a deleted secret, and then true.
        {"deleted": {"type": "boolean", "enum": [True]}},
    ),
    "apps.upload": _object(
        {
            "id": STR,
            "object": {"type": "string", "enum": ["apps.upload"]},
            "app": STR,
            "app_id": STR,
            "version": STR,
            "status": {"type": "string", "enum": ["processing", "completed", "failed"]},
            "errors": {"type": "array", "items": _object({"path": STR, "message": STR})},
            "fingerprint": NSTR,
            "bundle_sha256": STR,
            "bundle_size": INT,
            "created": INT,
            "completed_at": {"type": "integer", "nullable": True},
            "distribution_type": {"type": "string", "enum": ["private", "public"]},
            "sandbox_install_compatible": BOOL,
            "permissions": STRS,
            "content_security_policy": CSP,
            "endpoints": STRS,
            "livemode": BOOL,
        }
    ),
    "apps.app": _object(
        {
            "id": STR,
            "object": {"type": "string", "enum": ["apps.app"]},
            "app_id": STR,
            "account": STR,
            "distribution_type": {"type": "string", "enum": ["private", "public"]},
            "created": INT,
            "marketplace": _object(
                {"status": {"type": "string", "enum": ["unlisted", "in_review", "approved", "rejected"]}}
            ),
            "signing_secret": NSTR,
        }
    ),
    "event": _object(
        {
            "id": STR,
            "object": {"type": "string", "enum": ["event"]},
            "api_version": STR,
            "created": INT,
            "data": _object({"object": {"type": "object"}}, {"previous_attributes": {"type": "object"}}),
            "livemode": BOOL,
            "pending_webhooks": INT,
            "request": _object({"id": NSTR, "idempotency_key": NSTR}),
            "type": STR,
        },
        # The account the event happened on, when it is another account than the one reading it.
        {"account": STR},
    ),
    "error": _object(
        {
            "error": _object(
                {"type": STR, "message": STR},
                # Omitted when they do not apply.
                {"code": STR, "param": STR, "doc_url": STR, "request_log_url": STR},
            )
        }
    ),
    "control": {"type": "object"},
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _response_schema(response: str) -> dict[str, Any]:
    if response.startswith("list:"):
        return _object(
            {
                "object": {"type": "string", "enum": ["list"]},
                "url": STR,
                "has_more": BOOL,
                "data": {"type": "array", "items": _ref(response[5:])},
            }
        )
    return _ref(response if response in SCHEMAS else "control")


def _param_schema(param: P) -> dict[str, Any]:
    schema: dict[str, Any]
    if param.kind == "integer":
        schema = {"type": "integer"}
        if param.minimum is not None:
            schema["minimum"] = param.minimum
        if param.maximum is not None:
            schema["maximum"] = param.maximum
    elif param.kind == "boolean":
        schema = {"type": "boolean"}
    elif param.kind == "enum":
        schema = {"type": "string", "enum": list(param.enum)}
    elif param.kind == "expand":
        # Only the listed paths can be expanded; any other is a 400 ("This property cannot be expanded").
        items: dict[str, Any] = {"type": "string", "maxLength": 5000}
        if param.enum:
            items["enum"] = list(param.enum)
        schema = {"type": "array", "items": items}
        if not param.enum:
            schema["maxItems"] = 0
    elif param.kind == "object":
        schema = {
            "type": "object",
            "required": [name for name, p in param.fields.items() if p.required],
            "properties": {name: _param_schema(p) for name, p in param.fields.items()},
            "additionalProperties": False,
        }
    elif param.kind == "range":
        schema = {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {key: {"type": "integer"} for key in RANGE_KEYS},
                },
                {"type": "integer"},
            ]
        }
    elif param.kind == "file":
        schema = {"type": "string", "format": "binary"}
    else:
        schema = {"type": "string", "maxLength": param.max_length or 5000}
    if param.description:
        schema["description"] = param.description
    return schema


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "responses": {
            "200": {
                "description": "Successful response.",
                "content": {"application/json": {"schema": _response_schema(route.response)}},
            },
            "default": {
                "description": "Error response.",
                "content": {"application/json": {"schema": _ref("error")}},
            },
        },
    }
    path_params = [name.strip("{}") for name in route.pattern.split("/") if name.startswith("{")]
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 5000}}
        for name in path_params
    ]
    if route.control:
        operation["tags"] = ["control plane"]
        operation["security"] = []
        if route.json_body is not None:
            operation["requestBody"] = {"content": {"application/json": {"schema": route.json_body}}}
    elif route.method == "GET":
        for name, param in route.params.items():
            entry: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": param.required,
                "schema": _param_schema(param),
            }
            if param.kind in ("object", "range", "expand"):
                entry["style"] = "deepObject"
                entry["explode"] = True
            parameters.append(entry)
    elif route.params:
        media = "multipart/form-data" if route.multipart else "application/x-www-form-urlencoded"
        schema = {
            "type": "object",
            "required": [name for name, p in route.params.items() if p.required],
            "properties": {name: _param_schema(p) for name, p in route.params.items()},
            "additionalProperties": False,
        }
        encoding = {
            name: {"style": "deepObject", "explode": True}
            for name, p in route.params.items()
            if p.kind in ("object", "expand")
        }
        content: dict[str, Any] = {"schema": schema}
        if encoding and not route.multipart:
            content["encoding"] = encoding
        operation["requestBody"] = {
            "required": any(p.required for p in route.params.values()),
            "content": {media: content},
        }
    if parameters:
        operation["parameters"] = parameters
    return operation


def _html_operations() -> dict[str, dict[str, Any]]:
    """The Dashboard page and its form endpoints: HTML in, HTML or a redirect back out."""
    html = {"text/html": {"schema": STR}}
    page_params = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string", "maxLength": 5000}}
        for name in ("account", "mode", "notice", "error")
    ]
    paths: dict[str, dict[str, Any]] = {
        dashboard.PAGE: {
            "get": {
                "operationId": "get_emulator_dashboard",
                "summary": "Dashboard page (HTML): apps, Version History, installs, Marketplace review, events.",
                "tags": ["control plane"],
                "security": [],
                "parameters": page_params,
                "responses": {"200": {"description": "The page.", "content": html}},
            }
        }
    }
    for action in dashboard.ACTIONS:
        pattern = dashboard.FORMS + action.pattern
        fields = (*action.fields, *dashboard.VIEW_FIELDS)
        form = {"type": "object", "properties": {name: {"type": "string", "maxLength": 5000} for name in fields}}
        names = [name.strip("{}") for name in pattern.split("/") if name.startswith("{")]
        slug = re.sub(r"[^a-zA-Z0-9]+", "_", pattern.replace("{", "").replace("}", "")).strip("_")
        paths[pattern] = {
            "post": {
                "operationId": f"post_{slug}",
                "summary": action.summary,
                "tags": ["control plane"],
                "security": [],
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 5000}}
                    for name in names
                ],
                "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form}}},
                "responses": {"303": {"description": "Back to the page, with a notice or an error."}},
            }
        }
    return paths


def build() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in all_routes():
        paths.setdefault(route.pattern, {})[route.method.lower()] = _operation(route)
    paths.update(_html_operations())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Stripe Apps API emulator",
            "version": "2026-09-30.endive",
            "description": "Install and Secret Store APIs and the account as Stripe documents them, "
            "the emulator-only upload and "
            "app surface, and the /_emulator control plane. See COVERAGE.md.",
        },
        "servers": [{"url": "http://127.0.0.1:12111"}],
        "security": [{"bearerAuth": []}, {"basicAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "basicAuth": {"type": "http", "scheme": "basic"},
            },
            "schemas": SCHEMAS,
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
