"""The documented Install API through the official `stripe` SDK (its retries, idempotency and errors)."""

from __future__ import annotations

import atexit
import contextlib
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.retry import MAX_RETRIES, RATE_LIMIT_RETRIES, backoff
from pulumi_stripe_apps.settings import Mode, Settings

if TYPE_CHECKING:
    import stripe

T = TypeVar("T")


class _ClientPool:
    """One SDK client per (API base, key) for the provider process's lifetime.

    Building a client costs a TLS context and a new connection; a refresh of a hundred installs
    would pay that on every call. The engine serves up to four calls at once, so access is locked;
    httpx clients themselves are safe to share between threads. Clients close at exit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], tuple[stripe.StripeClient, stripe.HTTPXClient]] = {}
        atexit.register(self.close)

    def get(self, api_base: str, key: str) -> stripe.StripeClient:
        import stripe  # noqa: PLC0415 - the SDK loads only when a call is made; preview needs none

        with self._lock:
            found = self._clients.get((api_base, key))
            if found is None:
                http_client = stripe.HTTPXClient(allow_sync_methods=True, timeout=80)
                client = stripe.StripeClient(
                    key, base_addresses={"api": api_base}, max_network_retries=MAX_RETRIES, http_client=http_client
                )
                found = self._clients[(api_base, key)] = (client, http_client)
            return found[0]

    def close(self) -> None:
        with self._lock:
            for _, http_client in self._clients.values():
                http_client.close()  # type: ignore[no-untyped-call]
            self._clients.clear()


CLIENTS = _ClientPool()


@contextlib.contextmanager
def client_for(settings: Settings, mode: Mode) -> Iterator[stripe.StripeClient]:
    """The SDK client for one mode's key, shared by every call of this provider process."""
    yield CLIENTS.get(settings.api_base, settings.key_for(mode))


Fix = Callable[["stripe.StripeError"], str | None]


def stripe_call(
    action: str,
    subject: str,
    call: Callable[[stripe.RequestOptions], T],
    *,
    write: bool = False,
    fix: Fix | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """One SDK call: rate-limit 429s retried with our own bounded backoff, errors into StripeAppsError.

    The SDK retries connection errors, 409, 5xx and 429s marked `Stripe-Should-Retry` (lock timeouts).
    A rate-limit 429 carries no such header, so the SDK hands it back at once: Stripe asks the caller
    to back off. A write keeps one idempotency key across all of its attempts.
    """
    import stripe  # noqa: PLC0415 - loaded with the client, see _ClientPool.get

    options: stripe.RequestOptions = {"idempotency_key": f"pulumi-stripe-apps-{uuid.uuid4()}"} if write else {}
    jitter = rng or random.Random()
    attempt = 0
    while True:
        try:
            return call(options)
        except stripe.RateLimitError as error:
            attempt += 1
            if attempt > RATE_LIMIT_RETRIES:
                raise converted(action, subject, error, fix) from None
            sleep(backoff(attempt, jitter))
        except stripe.StripeError as error:
            raise converted(action, subject, error, fix) from None


def converted(action: str, subject: str, error: stripe.StripeError, fix: Fix | None = None) -> StripeAppsError:
    """The SDK's exception as StripeAppsError naming the object, code, param and Request-Id."""
    return StripeAppsError(
        action,
        subject,
        error.user_message or _message(error),
        code=error.code or _field(error, "code"),
        param=getattr(error, "param", None) or _field(error, "param"),
        request_id=error.request_id,
        http_status=error.http_status,
        fix=(fix(error) if fix else None) or default_fix(error),
    )


def _field(error: stripe.StripeError, name: str) -> str | None:
    """The SDK sets `code` only on InvalidRequestError; the envelope always carries it."""
    envelope: Any = error.error
    value = getattr(envelope, name, None) if envelope is not None else None
    return str(value) if value else None


def _message(error: stripe.StripeError) -> str:
    body: Any = error.json_body or {}
    return str(body.get("error", {}).get("message") or type(error).__name__)


def default_fix(error: stripe.StripeError) -> str | None:
    import stripe  # noqa: PLC0415 - loaded with the client, see _ClientPool.get

    if isinstance(error, stripe.AuthenticationError):
        return "the API key was refused (revoked or wrong account): set a valid key in stack config"
    if isinstance(error, stripe.PermissionError):
        return "give the key the permission the message names (Dashboard > Developers > API keys)"
    if isinstance(error, stripe.RateLimitError):
        return (
            f"Stripe kept rate limiting after {RATE_LIMIT_RETRIES} backoffs; run `pulumi up` again, or lower --parallel"
        )
    if isinstance(error, stripe.APIConnectionError):
        return "check stripe-apps:apiBase and the network, then run `pulumi up` again"
    return None


def is_missing(error: StripeAppsError) -> bool:
    return error.http_status == 404 or error.code == "resource_missing"
