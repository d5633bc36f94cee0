"""Account routes: the caller's own account (or the connected account it acts on)."""

from __future__ import annotations

from ..params import EXPAND
from .base import Ctx, Reply, Route


def retrieve_current(ctx: Ctx) -> Reply:
    return ctx.backend.accounts.retrieve(ctx.who)


ROUTES = [
    Route("GET", "/v1/account", retrieve_current, "Retrieve the account.", {"expand": EXPAND}, response="account"),
]
