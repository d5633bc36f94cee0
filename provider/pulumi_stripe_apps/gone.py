"""When an object is gone: decided here only, on Stripe's own word about that object on that account.

An object is gone when Stripe answers `resource_missing` for it AND the key asking acts for the account the
object was recorded on (a key of another account also gets `resource_missing`: true for that account, wrong
for the stack). Every other answer (a 404 without that code, which an unknown route or a proxy gives, a 401,
a 403, 5xx after retries, a timeout) is an error of the step, and the resource's state stays as it was.

The key's account comes from `GET /v1/account` (with the same `Stripe-Account` as the lookup), asked only on
the way to concluding "gone", so no other path pays a request. A restricted key that may not read the account
still names it: Stripe's 403 says "... does not have the required permissions for this endpoint on account
'acct_...'", and that account is the one the key acts for.
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import TYPE_CHECKING, Any

from pulumi_stripe_apps.errors import StripeAppsError

if TYPE_CHECKING:
    from pulumi_stripe_apps.http import StripeHttp

MISSING = "resource_missing"
ACCOUNT_PATH = "/v1/account"
_NAMED_ACCOUNT = re.compile(r"on account '(acct_[A-Za-z0-9]+)'")
ACCOUNT_READ_FIX = (
    "give the key read access to the account (a restricted key: Account, Read), or use a secret key; "
    "then run the command again"
)


def is_missing(error: StripeAppsError) -> bool:
    """Stripe's answer that the object asked for does not exist (for the key's account)."""
    return error.http_status == 404 and error.code == MISSING


class _Accounts:
    """The account each (client, Stripe-Account) acts for, asked once per client (a client is one key's, pooled for
    the provider process); held weakly, so a closed and dropped client's answer never serves another key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: weakref.WeakKeyDictionary[StripeHttp, dict[str | None, str]] = weakref.WeakKeyDictionary()

    def of(self, client: StripeHttp, on_behalf: str | None) -> str:
        with self._lock:
            found = self._known.get(client, {}).get(on_behalf)
        if found is None:
            found = _ask(client, on_behalf)
            with self._lock:
                self._known.setdefault(client, {})[on_behalf] = found
        return found


def _ask(client: StripeHttp, on_behalf: str | None) -> str:
    subject = f"the account of the key{f' acting on {on_behalf}' if on_behalf else ''}"
    try:
        account: dict[str, Any] = client.get(ACCOUNT_PATH, action="identifying", subject=subject, account=on_behalf)
    except StripeAppsError as error:
        named = _NAMED_ACCOUNT.search(error.detail) if error.http_status == 403 else None
        if named is not None:
            return named.group(1)
        raise error.with_fix(ACCOUNT_READ_FIX if error.http_status == 403 else error.fix) from None
    return str(account["id"])


ACCOUNTS = _Accounts()


def key_account(client: StripeHttp, on_behalf: str | None = None) -> str:
    """The account `client`'s key acts for (with `Stripe-Account: on_behalf`, that account)."""
    return ACCOUNTS.of(client, on_behalf)


def require_account(
    client: StripeHttp, recorded_account: str | None, *, action: str, subject: str, on_behalf: str | None = None
) -> None:
    """Refuses, naming both accounts, when the key acts for another account than the one the object was recorded on.

    For objects found by name rather than by a global id (Secret Store secrets), where another account's key would
    read, overwrite or delete that account's namesake instead of failing. Nothing is asked when nothing is recorded.
    """
    if recorded_account is None:
        return
    actual = key_account(client, on_behalf)
    if actual != recorded_account:
        raise StripeAppsError(
            action,
            subject,
            f"the key acts for account {actual}, but this object lives on account {recorded_account}; acting with "
            f"it would touch {actual}'s object of the same name instead",
            fix=_other_key_fix(recorded_account),
        )


def _other_key_fix(recorded_account: str) -> str:
    return (
        f"configure the key of {recorded_account} (the stack's stripe-apps:*ApiKey, or an explicit provider for that "
        "account), then run the command again"
    )


def confirm_gone(
    error: StripeAppsError,
    client: StripeHttp,
    *,
    recorded_account: str | None,
    on_behalf: str | None = None,
) -> None:
    """Returns when `error` proves the object gone from the account it was recorded on; else raises.

    Raises `error` itself unless it is `resource_missing`; raises a refusal naming both accounts when the key
    acts for another account than the recorded one, and when the state records none to compare with.
    """
    if not is_missing(error):
        raise error
    actual = key_account(client, on_behalf)
    if recorded_account is None:
        raise StripeAppsError(
            error.action,
            error.subject,
            f"Stripe answered resource_missing for the key's account {actual}, but this resource's state records "
            "no account to check it against, so it is not taken for gone",
            code=error.code,
            request_id=error.request_id,
            http_status=error.http_status,
            fix="run `pulumi refresh` with the key the resource was made with (it records the account), or, if "
            "the object really is gone, `pulumi state delete` the resource",
        )
    if actual != recorded_account:
        raise StripeAppsError(
            error.action,
            error.subject,
            f"the key acts for account {actual}, but this object lives on account {recorded_account}: Stripe's "
            f"resource_missing holds for {actual} only, so the object is not taken for gone",
            code=error.code,
            request_id=error.request_id,
            http_status=error.http_status,
            fix=_other_key_fix(recorded_account),
        )
