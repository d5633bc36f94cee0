"""Route building blocks: the handler context, the route record and the router."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..models import Backend, Caller
from ..params import Spec

Reply = dict[str, Any] | tuple[int, dict[str, Any]]


@dataclass
class Ctx:
    """What a handler sees: the backend, the caller, validated params and path parameters."""

    backend: Backend
    caller: Caller | None
    params: dict[str, Any]
    path: dict[str, str]
    request_id: str
    body: Any = None

    @property
    def who(self) -> Caller:
        assert self.caller is not None, "authenticated route without a caller"
        return self.caller

    @property
    def expand(self) -> list[str]:
        return list(self.params.get("expand", []))


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Callable[[Ctx], Reply]
    summary: str
    params: Spec = field(default_factory=dict)
    response: str = "object"
    control: bool = False
    # Served by api.stripe.com; False marks the emulator's own routes (uploads, app objects, review).
    public: bool = True
    multipart: bool = False
    json_body: dict[str, Any] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$")

    @property
    def operation_id(self) -> str:
        slug = re.sub(r"[^a-zA-Z0-9]+", "_", self.pattern.replace("{", "").replace("}", "")).strip("_")
        return f"{self.method.lower()}_{slug}"


@dataclass(frozen=True)
class Match:
    route: Route
    path: dict[str, str]


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self._compiled = [(route, route.regex) for route in routes]

    def match(self, method: str, path: str) -> Match | None:
        """The route for method and path; None when no route serves that path with that method."""
        for route, regex in self._compiled:
            found = regex.match(path)
            if found and route.method == method:
                return Match(route=route, path=found.groupdict())
        return None
