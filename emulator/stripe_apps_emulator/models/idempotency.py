"""Idempotent results per account, mode and key: replay, mismatch, and a 24 h lifetime."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import IdempotencyKeyInvalidError, IdempotencyMismatchError

if TYPE_CHECKING:
    from . import Backend

MAX_KEY_LENGTH = 255
LIFETIME = 24 * 3600


@dataclass(frozen=True)
class Stored:
    status: int
    body: dict[str, Any]
    request_id: str


def fingerprint(method: str, path: str, params: Any) -> str:
    canonical = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyInvalidError(
            f"Idempotency keys may be at most {MAX_KEY_LENGTH} characters long; this one has {len(key)}.",
            "Idempotency-Key",
        )


class Idempotency:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    @staticmethod
    def _id(scope: str, key: str) -> str:
        return "idem:" + hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()

    def lookup(self, scope: str, key: str, print_: str) -> Stored | None:
        """The stored result for this key, or None; other parameters under the same key are refused."""
        record = self._backend.store.get("idempotency", self._id(scope, key))
        if record is None:
            return None
        if self._backend.clock.now() - record["created"] > LIFETIME:
            self._backend.store.delete("idempotency", record["id"])
            return None
        if record["fingerprint"] != print_:
            raise IdempotencyMismatchError(
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request."
            )
        return Stored(status=record["status"], body=record["body"], request_id=record["request_id"])

    def save(self, scope: str, key: str, print_: str, *, status: int, body: dict[str, Any], request_id: str) -> None:
        id_ = self._id(scope, key)
        self._backend.store.put(
            "idempotency",
            id_,
            {
                "id": id_,
                "key": key,
                "scope": scope,
                "fingerprint": print_,
                "status": status,
                "body": body,
                "request_id": request_id,
                "created": self._backend.clock.now(),
            },
        )
