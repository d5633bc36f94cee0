"""Install API routes: create, reauthorize, retrieve, list, uninstall."""

from __future__ import annotations

from ..models.installs import REQUEST_CHANNELS, STATUSES, pkce_challenge
from ..params import EXPAND, LIST_PARAMS, P
from .base import Ctx, Reply, Route


def create(ctx: Ctx) -> Reply:
    challenge = pkce_challenge(ctx.params.get("code_challenge"), ctx.params.get("code_challenge_method"))
    return ctx.backend.installs.create(ctx.who, ctx.params["app"], ctx.params.get("channel", "public"), challenge)


def reauthorize(ctx: Ctx) -> Reply:
    return ctx.backend.installs.reauthorize(ctx.who, ctx.path["id"])


def retrieve(ctx: Ctx) -> Reply:
    return ctx.backend.installs.retrieve(ctx.who, ctx.path["id"])


def list_(ctx: Ctx) -> Reply:
    return ctx.backend.installs.list(ctx.who, ctx.params)


def uninstall(ctx: Ctx) -> Reply:
    return ctx.backend.installs.uninstall(ctx.who, ctx.path["id"])


ROUTES = [
    Route(
        "POST",
        "/v1/apps/installs",
        create,
        "Create an app install (installs the newest completed upload of a private app).",
        {
            "app": P("string", "The ID of the app to install.", required=True),
            "channel": P("enum", "The distribution channel to install from.", enum=REQUEST_CHANNELS),
            "code_challenge": P(
                "string",
                "For OAuth apps, the PKCE code challenge used to issue the `auth_code` returned on the install: 43 "
                "to 128 letters, digits, `-`, `.`, `_` or `~`. Only installs made by the app's developer on a "
                "connected account use it; an account installing its own private app gets no `auth_code`.",
            ),
            "code_challenge_method": P("enum", "The method used to derive `code_challenge`.", enum=("S256",)),
            "expand": EXPAND,
        },
        response="apps.install",
    ),
    Route(
        "GET",
        "/v1/apps/installs/{id}",
        retrieve,
        "Retrieve an app install.",
        {"expand": EXPAND},
        response="apps.install",
    ),
    Route(
        "POST",
        "/v1/apps/installs/{id}",
        reauthorize,
        "Reauthorize an app install.",
        {"expand": EXPAND},
        response="apps.install",
    ),
    Route(
        "GET",
        "/v1/apps/installs",
        list_,
        "List app installs.",
        {
            "account": P("string", "Only installs made by this account."),
            "app": P("string", "Only installs of this app."),
            "approval_required": P("boolean", "Only installs whose installer must authorize pending access."),
            "channel": P("enum", "Only installs on this channel.", enum=REQUEST_CHANNELS),
            "created": P("range", "Only installs created in this interval."),
            "created_by": P("string", "Only installs created by this embedding platform."),
            "status": P("enum", "Only installs with this status.", enum=STATUSES),
            **LIST_PARAMS,
        },
        response="list:apps.install",
    ),
    Route(
        "POST",
        "/v1/apps/installs/{id}/uninstall",
        uninstall,
        "Uninstall an app.",
        {"expand": EXPAND},
        response="apps.install",
    ),
]
