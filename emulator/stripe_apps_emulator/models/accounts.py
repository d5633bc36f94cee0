"""Accounts, sandboxes and API keys: a deterministic seed, key lookup, and the calling identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import (
    AccountInvalidError,
    ApiKeyExpiredError,
    AuthenticationRequiredError,
    InsufficientPermissionsError,
    SecretKeyRequiredError,
)
from ..ids import derived

if TYPE_CHECKING:
    from . import Backend

DEFAULT_ACCOUNT = "acct_1Emulator0Default"
SANDBOX_ACCOUNT = "acct_1Emulator0Sandbox"
INSTALL_WRITE = "app_install_write"
INSTALL_READ = "app_install_read"
SECRET_WRITE = "secret_write"
SECRET_READ = "secret_read"
# Stripe does not document the restricted-key permission of `GET /v1/account`; the name is inferred (COVERAGE.md).
ACCOUNT_READ = "account_read"
# Every emulator account has its own keys and Dashboard, as a Standard account does (inferred; COVERAGE.md).
ACCOUNT_TYPE = "standard"

# name -> (prefix, livemode, restricted permissions or None for a full secret key)
KEY_KINDS: dict[str, tuple[str, bool, list[str] | None]] = {
    "test": ("sk_test_51Emu", False, None),
    "live": ("sk_live_51Emu", True, None),
    "restricted_test_write": ("rk_test_51Emu", False, [INSTALL_READ, INSTALL_WRITE]),
    "restricted_test_no_write": ("rk_test_51Emu", False, [INSTALL_READ]),
    "restricted_live_write": ("rk_live_51Emu", True, [INSTALL_READ, INSTALL_WRITE]),
    "restricted_test_secret_write": ("rk_test_51Emu", False, [SECRET_READ, SECRET_WRITE]),
    "restricted_test_secret_read": ("rk_test_51Emu", False, [SECRET_READ]),
    "restricted_test_install_account": ("rk_test_51Emu", False, [INSTALL_READ, INSTALL_WRITE, ACCOUNT_READ]),
}
SANDBOX_KEYS = ("test",)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key, the account acted on and the mode (live, test or a sandbox)."""

    key: str
    account: str
    livemode: bool
    permissions: tuple[str, ...] | None
    key_account: str
    sandbox_parent: str | None

    @property
    def mode(self) -> str:
        if self.sandbox_parent:
            return "sandbox"
        return "live" if self.livemode else "test"

    @property
    def restricted(self) -> bool:
        return self.permissions is not None

    def require(self, permission: str, *also: str) -> None:
        """A restricted key needs `permission` (or one of `also`, e.g. write access implies read)."""
        if self.permissions is not None and not {permission, *also} & set(self.permissions):
            raise InsufficientPermissionsError(
                f"The provided key '{_redact(self.key)}' does not have the required permissions for this "
                f"endpoint on account '{self.account}'. Having the '{permission}' permission would allow "
                "this request to continue."
            )

    def require_secret_key(self) -> None:
        """Emulator-only routes (uploads, review) take a secret key."""
        if self.permissions is not None:
            raise SecretKeyRequiredError(
                f"This request requires a secret key; the restricted key '{_redact(self.key)}' cannot be used."
            )


def _key_scope(key: dict[str, Any]) -> str:
    return str(key["account"])


def _redact(key: str) -> str:
    return key[:8] + "*" * 8 + key[-4:]


class Accounts:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        # Keys grouped by account: an account's keys are read without a scan of every account's (a platform's
        # thousands of connected accounts each have their own).
        backend.store.scope_by("key", _key_scope)

    def seed(self) -> None:
        self._create(DEFAULT_ACCOUNT, parent=None, key_names=tuple(KEY_KINDS))
        self._create(SANDBOX_ACCOUNT, parent=DEFAULT_ACCOUNT, key_names=SANDBOX_KEYS)

    def _create(
        self, id_: str, parent: str | None, key_names: tuple[str, ...], connected_to: str | None = None
    ) -> dict[str, Any]:
        store = self._backend.store
        account = {
            "id": id_,
            "object": "account",
            "sandbox": parent is not None,
            "parent": parent,
            "connected_to": connected_to,
            "created": self._backend.clock.now_int(),
        }
        store.put("account", id_, account)
        for name in key_names:
            prefix, livemode, permissions = KEY_KINDS[name]
            key = prefix + derived(f"{id_}:{name}", 40)
            store.put(
                "key",
                key,
                {
                    "id": key,
                    "name": name,
                    "account": id_,
                    "livemode": livemode,
                    "permissions": permissions,
                    "revoked": False,
                },
            )
        return account

    def create(self, connected_to: str | None = None) -> dict[str, Any]:
        if connected_to is not None:
            self.get(connected_to)
        id_ = self._next_id("acct_1Emu")
        self._create(id_, parent=None, key_names=tuple(KEY_KINDS), connected_to=connected_to)
        return self.describe(id_)

    def create_sandbox(self, parent: str) -> dict[str, Any]:
        account = self.get(parent)
        if account["sandbox"]:
            raise ValueError("a sandbox cannot have sandboxes")
        id_ = self._next_id("acct_1Sbx")
        self._create(id_, parent=parent, key_names=SANDBOX_KEYS)
        return self.describe(id_)

    def _next_id(self, prefix: str) -> str:
        store = self._backend.store
        counter = int(store.meta_get("account_counter", 0)) + 1
        store.meta_set("account_counter", counter)
        return prefix + derived(f"account:{counter}", 12)

    def get(self, id_: str) -> dict[str, Any]:
        account = self._backend.store.get("account", id_)
        if account is None:
            raise KeyError(id_)
        return account

    def retrieve(self, caller: Caller) -> dict[str, Any]:
        """`GET /v1/account`: the account the caller acts on (the key's own, a sandbox, or a connected account).

        Only the fields the emulator can fill truthfully; it models no country, currency, charges or payouts.
        """
        caller.require(ACCOUNT_READ)
        account = self.get(caller.account)
        return {"id": account["id"], "object": "account", "created": account["created"], "type": ACCOUNT_TYPE}

    def keys_of(self, account: str) -> dict[str, str]:
        return {key["name"]: key["id"] for key in self._backend.store.all("key", scope=account) if not key["revoked"]}

    def describe(self, id_: str) -> dict[str, Any]:
        account = self.get(id_)
        return {
            "account": id_,
            "sandbox": account["sandbox"],
            "parent": account["parent"],
            **self.keys_of(id_),
        }

    def seeded_keys(self) -> dict[str, dict[str, str]]:
        """The keys document of `GET /_emulator/keys` (the seeded default account and sandbox)."""
        return {
            "default": {"account": DEFAULT_ACCOUNT, **self.keys_of(DEFAULT_ACCOUNT)},
            "sandbox": {"account": SANDBOX_ACCOUNT, **self.keys_of(SANDBOX_ACCOUNT)},
        }

    def revoke(self, key: str) -> dict[str, Any]:
        doc = self._backend.store.get("key", key)
        if doc is None:
            raise KeyError(key)
        doc["revoked"] = True
        self._backend.store.put("key", key, doc)
        return doc

    def authenticate(self, key: str | None, stripe_account: str | None, stripe_context: str | None = None) -> Caller:
        """The caller of a request. `Stripe-Context` supersedes `Stripe-Account` when both are sent; either
        names an account connected to the key's account (a context path `acct_a/acct_b` walks the chain)."""
        if not key:
            raise AuthenticationRequiredError(
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
            )
        doc = self._backend.store.get("key", key)
        if doc is None:
            raise AuthenticationRequiredError(f"Invalid API Key provided: {_redact(key)}")
        if doc["revoked"]:
            raise ApiKeyExpiredError(f"Expired API Key provided: {_redact(key)}")
        acting = doc["account"]
        context = (stripe_context or "").strip()
        path = context.split("/") if context else [stripe_account] if stripe_account else []
        for target_id in path:
            if target_id == acting:
                continue
            target = self._backend.store.get("account", target_id) if target_id else None
            if target is None or target.get("connected_to") != acting:
                raise AccountInvalidError(
                    f"The provided key '{_redact(key)}' does not have access to account '{target_id}' "
                    "(or that account does not exist). Application access may have been revoked."
                )
            acting = target_id
        account = self.get(acting)
        permissions = doc["permissions"]
        return Caller(
            key=key,
            account=acting,
            livemode=bool(doc["livemode"]),
            permissions=tuple(permissions) if permissions is not None else None,
            key_account=doc["account"],
            sandbox_parent=account["parent"],
        )
