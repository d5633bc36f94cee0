"""Secret Store routes: set, find, delete where, list."""

from __future__ import annotations

from ..models.secrets import SCOPE_TYPES
from ..params import MAX_STRING, P, expand, list_params
from .base import Ctx, Reply, Route

SCOPE = P(
    "object",
    "The scope of the secret.",
    required=True,
    fields={
        "type": P("enum", "The secret scope type.", required=True, enum=SCOPE_TYPES),
        "user": P("string", "The user ID (user scope only)."),
    },
)
NAME = P("string", "A name for the secret that's unique within the scope.", required=True, max_length=MAX_STRING)
EXPAND = expand("payload")


def set_(ctx: Ctx) -> Reply:
    p = ctx.params
    return ctx.backend.secrets.set(
        ctx.who, p["name"], p["payload"], scope=p["scope"], expires_at=p.get("expires_at"), expand=ctx.expand
    )


def find(ctx: Ctx) -> Reply:
    return ctx.backend.secrets.find(ctx.who, ctx.params["name"], ctx.params["scope"], ctx.expand)


def delete(ctx: Ctx) -> Reply:
    return ctx.backend.secrets.delete(ctx.who, ctx.params["name"], ctx.params["scope"], ctx.expand)


def list_(ctx: Ctx) -> Reply:
    return ctx.backend.secrets.list(ctx.who, ctx.params["scope"], ctx.params)


ROUTES = [
    Route(
        "POST",
        "/v1/apps/secrets",
        set_,
        "Set (create or replace) a secret.",
        {
            "name": NAME,
            "payload": P("string", "The plaintext secret value to be stored.", required=True, max_length=MAX_STRING),
            "scope": SCOPE,
            "expires_at": P("integer", "Unix timestamp after which the secret is deleted."),
            "expand": EXPAND,
        },
        response="apps.secret",
    ),
    Route(
        "GET",
        "/v1/apps/secrets/find",
        find,
        "Find a secret by name and scope.",
        {"name": NAME, "scope": SCOPE, "expand": EXPAND},
        response="apps.secret",
    ),
    Route(
        "POST",
        "/v1/apps/secrets/delete",
        delete,
        "Delete a secret by name and scope.",
        {"name": NAME, "scope": SCOPE, "expand": EXPAND},
        response="apps.secret",
    ),
    Route(
        "GET",
        "/v1/apps/secrets",
        list_,
        "List the secrets of a scope.",
        {"scope": SCOPE, **list_params("payload")},
        response="list:apps.secret",
    ),
]
