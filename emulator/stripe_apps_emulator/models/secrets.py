"""The Secret Store: set, find, delete and list secrets per developer, account, mode and scope.

Isolation: "the secrets of an uploaded app are only accessible by other apps that you've uploaded"
(docs: stripe-apps/store-secrets). An app's backend calls with its developer's key, so the emulator
keys a store by the key's account (the developer: every app it uploaded shares the store), the
account acted on (`Stripe-Account`/`Stripe-Context`, else the key's own) and the mode.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidParameterError,
    ParameterMissingError,
    ParameterUnknownError,
    ResourceMissingError,
    SecretLimitExceededError,
)
from ..ids import public, random_id
from .accounts import SECRET_READ, SECRET_WRITE, Caller
from .listing import paginate

if TYPE_CHECKING:
    from . import Backend

SCOPE_TYPES = ("account", "user")
MAX_PER_SCOPE = 10


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
        backend.store.scope_by("secret", self._store_of)

    @classmethod
    def _store_of(cls, secret: dict[str, Any]) -> str:
        """The secret store a secret is in: the account it is on, its developer and its mode."""
        return f"{secret['_account']}:{cls._developer(secret)}:{'live' if secret['livemode'] else 'test'}"

    @staticmethod
    def _developer(secret: dict[str, Any]) -> str:
        # Secrets stored before the developer was recorded belong to the account they were set on.
        return str(secret.get("_developer") or secret["_account"])

    def _live(self, caller: Caller) -> list[dict[str, Any]]:
        """The caller's unexpired secrets, oldest first; expired ones are deleted on the way."""
        now = self._backend.clock.now()
        out = []
        mode = "live" if caller.livemode else "test"
        for secret in self._backend.store.all("secret", scope=f"{caller.account}:{caller.key_account}:{mode}"):
            if secret["expires_at"] is not None and secret["expires_at"] <= now:
                self._backend.store.delete("secret", secret["id"])
                continue
            out.append(secret)
        return out

    @staticmethod
    def _render(secret: dict[str, Any], expand: list[str], deleted: bool = False) -> dict[str, Any]:
        """The wire object: `payload` only when expanded, `deleted` only on a deleted secret,
        `scope.user` only for user scope (Stripe omits what does not apply)."""
        out = public(secret)
        out.pop("deleted", None)
        if "payload" not in expand:
            out["payload"] = None
        if deleted:
            out["deleted"] = True
        scope = secret["scope"]
        out["scope"] = {"type": "user", "user": scope["user"]} if scope["type"] == "user" else {"type": "account"}
        return dict(sorted(out.items()))

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
                raise InvalidParameterError("expires_at must be in the future.", "expires_at")
            if expires_at > hundred_years_after(now):
                raise InvalidParameterError("expires_at cannot be more than 100 years in the future.", "expires_at")
        caller.require(SECRET_WRITE)
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
            "expires_at": expires_at,
            "livemode": caller.livemode,
            "name": name,
            "payload": payload,
            "scope": scope,
            "_account": caller.account,
            "_developer": caller.key_account,
        }
        self._backend.store.put("secret", secret["id"], secret)
        return self._render(secret, expand)

    def _find(self, caller: Caller, name: str, scope: dict[str, Any]) -> dict[str, Any]:
        """The secret of a normalised scope."""
        for secret in self._live(caller):
            if secret["name"] == name and secret["scope"] == scope:
                return secret
        raise ResourceMissingError(f"No such secret: '{name}'", "name")

    def find(self, caller: Caller, name: str, scope: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        scope = normalise_scope(scope)
        caller.require(SECRET_READ, SECRET_WRITE)
        return self._render(self._find(caller, name, scope), expand)

    def delete(self, caller: Caller, name: str, scope: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        scope = normalise_scope(scope)
        caller.require(SECRET_WRITE)
        secret = self._find(caller, name, scope)
        self._backend.store.delete("secret", secret["id"])
        return self._render(secret, expand, deleted=True)

    def list(self, caller: Caller, scope: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        scope = normalise_scope(scope)
        caller.require(SECRET_READ, SECRET_WRITE)
        expand = [item.removeprefix("data.") for item in params.get("expand", [])]
        secrets = [self._render(s, expand) for s in reversed(self._live(caller)) if s["scope"] == scope]
        return paginate(secrets, params, "/v1/apps/secrets")


def hundred_years_after(now: float) -> float:
    """`now` plus 100 calendar years: an expiry "can't be more than 100 years in the future" (docs:
    stripe-apps/store-secrets); from 29 February, 28 February."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    try:
        later = moment.replace(year=moment.year + 100)
    except ValueError:
        later = moment.replace(year=moment.year + 100, day=28)
    return later.timestamp()
