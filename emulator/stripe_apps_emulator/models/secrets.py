"""The Secret Store: set, find, delete and list secrets per account, mode and scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidRequestError,
    ParameterMissingError,
    ParameterUnknownError,
    ResourceMissingError,
    SecretLimitExceededError,
)
from ..ids import public, random_id
from .accounts import Caller
from .listing import paginate

if TYPE_CHECKING:
    from . import Backend

SCOPE_TYPES = ("account", "user")
MAX_PER_SCOPE = 10
MAX_LIFETIME = 100 * 365 * 24 * 3600


def normalise_scope(scope: dict[str, Any]) -> dict[str, Any]:
    """`{type, user}` with `user` required for user scope and refused for account scope."""
    if scope["type"] == "user":
        if not scope.get("user"):
            raise ParameterMissingError("Missing required param: scope[user].", "scope[user]")
        return {"type": "user", "user": scope["user"]}
    if "user" in scope:
        raise ParameterUnknownError(
            "Received unknown parameter: scope[user]. scope[user] is only allowed when scope[type] is user.",
            "scope[user]",
        )
    return {"type": "account", "user": None}


class Secrets:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def _live(self, caller: Caller) -> list[dict[str, Any]]:
        """The caller's unexpired secrets, oldest first; expired ones are deleted on the way."""
        now = self._backend.clock.now()
        out = []
        for secret in self._backend.store.all("secret"):
            if secret["_account"] != caller.account or secret["livemode"] != caller.livemode:
                continue
            if secret["expires_at"] is not None and secret["expires_at"] <= now:
                self._backend.store.delete("secret", secret["id"])
                continue
            out.append(secret)
        return out

    @staticmethod
    def _render(secret: dict[str, Any], expand: list[str], deleted: bool = False) -> dict[str, Any]:
        out = public(secret)
        if "payload" not in expand:
            out["payload"] = None
        if deleted:
            out["deleted"] = True
        return out

    def set(
        self,
        caller: Caller,
        name: str,
        payload: str,
        *,
        scope: dict[str, Any],
        expires_at: int | None,
        expand: list[str],
    ) -> dict[str, Any]:
        scope = normalise_scope(scope)
        now = self._backend.clock.now()
        if expires_at is not None:
            if expires_at <= now:
                raise InvalidRequestError("expires_at must be in the future.", "expires_at")
            if expires_at > now + MAX_LIFETIME:
                raise InvalidRequestError("expires_at cannot be more than 100 years in the future.", "expires_at")
        same_scope = [s for s in self._live(caller) if s["scope"] == scope]
        existing = next((s for s in same_scope if s["name"] == name), None)
        if existing is None and len(same_scope) >= MAX_PER_SCOPE:
            raise SecretLimitExceededError(
                f"A scope can hold at most {MAX_PER_SCOPE} secrets; delete one before adding '{name}'.",
                "name",
            )
        if existing is not None:
            self._backend.store.delete("secret", existing["id"])
        secret: dict[str, Any] = {
            "id": random_id("appsecret_"),
            "object": "apps.secret",
            "created": self._backend.clock.now_int(),
            "deleted": False,
            "expires_at": expires_at,
            "livemode": caller.livemode,
            "name": name,
            "payload": payload,
            "scope": scope,
            "_account": caller.account,
        }
        self._backend.store.put("secret", secret["id"], secret)
        return self._render(secret, expand)

    def _find(self, caller: Caller, name: str, scope: dict[str, Any]) -> dict[str, Any]:
        scope = normalise_scope(scope)
        for secret in self._live(caller):
            if secret["name"] == name and secret["scope"] == scope:
                return secret
        raise ResourceMissingError(f"No such secret: '{name}' in the given scope.", "name")

    def find(self, caller: Caller, name: str, scope: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        return self._render(self._find(caller, name, scope), expand)

    def delete(self, caller: Caller, name: str, scope: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        secret = self._find(caller, name, scope)
        self._backend.store.delete("secret", secret["id"])
        return self._render(secret, expand, deleted=True)

    def list(self, caller: Caller, scope: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        scope = normalise_scope(scope)
        expand = [item.removeprefix("data.") for item in params.get("expand", [])]
        secrets = [self._render(s, expand) for s in reversed(self._live(caller)) if s["scope"] == scope]
        return paginate(secrets, params, "/v1/apps/secrets")
