"""Event routes: list and retrieve, scoped to the key's account and mode."""

from __future__ import annotations

from ..params import EXPAND, LIST_PARAMS, P
from .base import Ctx, Reply, Route


def list_(ctx: Ctx) -> Reply:
    return ctx.backend.events.list(ctx.who.account, ctx.who.livemode, ctx.params)


def retrieve(ctx: Ctx) -> Reply:
    return ctx.backend.events.retrieve(ctx.who.account, ctx.who.livemode, ctx.path["id"])


ROUTES = [
    Route(
        "GET",
        "/v1/events",
        list_,
        "List events.",
        {
            "type": P("string", "Only events of this type (`*` wildcards allowed)."),
            "created": P("range", "Only events created in this interval."),
            **LIST_PARAMS,
        },
        response="list:event",
    ),
    Route("GET", "/v1/events/{id}", retrieve, "Retrieve an event.", {"expand": EXPAND}, response="event"),
]
