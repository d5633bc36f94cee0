"""Route table: each route names its method, path, parameter spec and a thin handler."""

from __future__ import annotations

from . import accounts, apps, control, events, installs, secrets
from .base import Ctx, Match, Reply, Route, Router


def all_routes() -> list[Route]:
    return [*installs.ROUTES, *secrets.ROUTES, *accounts.ROUTES, *apps.ROUTES, *events.ROUTES, *control.ROUTES]


__all__ = ["Ctx", "Match", "Reply", "Route", "Router", "all_routes"]
