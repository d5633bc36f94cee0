"""Stripe event objects (`evt_...`) recorded for install changes, scoped to an account and mode."""

from __future__ import annotations

import contextvars
import fnmatch
from typing import TYPE_CHECKING, Any

from ..errors import ResourceMissingError
from ..ids import public, random_id
from ..versions import API_VERSION
from .listing import created_matches, paginate

if TYPE_CHECKING:
    from . import Backend

# The request being served, so that events caused directly by it name it.
CURRENT_REQUEST: contextvars.ContextVar[dict[str, str | None] | None] = contextvars.ContextVar(
    "current_request", default=None
)


class Events:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def emit(
        self,
        account: str,
        livemode: bool,
        type_: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None = None,
        *,
        direct: bool = True,
        on_account: str | None = None,
    ) -> dict[str, Any]:
        """Record an event for `account`; `direct` says whether the current request caused it (else
        request is null). `on_account` names the account it happened on when that is another account
        (a Connect-style event: it carries `account`, as events of connected accounts do)."""
        request = CURRENT_REQUEST.get() if direct else None
        data: dict[str, Any] = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        event: dict[str, Any] = {
            "id": random_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._backend.clock.now_int(),
            "data": data,
            "livemode": livemode,
            "pending_webhooks": 0,
            "request": {
                "id": request.get("id") if request else None,
                "idempotency_key": request.get("idempotency_key") if request else None,
            },
            "type": type_,
            "_account": account,
        }
        if on_account is not None and on_account != account:
            event["account"] = on_account
        self._backend.store.put("event", str(event["id"]), event)
        return event

    def retrieve(self, account: str, livemode: bool, id_: str) -> dict[str, Any]:
        event = self._backend.store.get("event", id_)
        if event is None or event["_account"] != account or event["livemode"] != livemode:
            raise ResourceMissingError(f"No such event: '{id_}'", "id")
        return public(event)

    def list(self, account: str, livemode: bool, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("type")
        events = [
            public(event)
            for event in reversed(self._backend.store.all("event"))
            if event["_account"] == account
            and event["livemode"] == livemode
            and (wanted is None or fnmatch.fnmatchcase(event["type"], wanted))
            and created_matches(event["created"], params.get("created"))
        ]
        return paginate(events, params, "/v1/events")
