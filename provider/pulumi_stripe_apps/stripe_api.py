"""The documented Install API through the official `stripe` SDK (its retries, idempotency and errors)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import stripe

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.retry import MAX_RETRIES
from pulumi_stripe_apps.settings import Mode, Settings

T = TypeVar("T")


@contextlib.contextmanager
def client_for(settings: Settings, mode: Mode) -> Iterator[stripe.StripeClient]:
    """An SDK client for one mode's key; its connections close when the block ends."""
    http_client = stripe.HTTPXClient(allow_sync_methods=True, timeout=80)
    try:
        yield stripe.StripeClient(
            settings.key_for(mode),
            base_addresses={"api": settings.api_base},
            max_network_retries=MAX_RETRIES,
            http_client=http_client,
        )
    finally:
        http_client.close()  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def stripe_errors(
    action: str, subject: str, fix: Callable[[stripe.StripeError], str | None] | None = None
) -> Iterator[None]:
    """Turns SDK exceptions into StripeAppsError naming the object, code, param and Request-Id."""
    try:
        yield
    except stripe.StripeError as error:
        raise StripeAppsError(
            action,
            subject,
            error.user_message or _message(error),
            code=error.code or _field(error, "code"),
            param=getattr(error, "param", None) or _field(error, "param"),
            request_id=error.request_id,
            http_status=error.http_status,
            fix=(fix(error) if fix else None) or default_fix(error),
        ) from None


def _field(error: stripe.StripeError, name: str) -> str | None:
    """The SDK sets `code` only on InvalidRequestError; the envelope always carries it."""
    envelope: Any = error.error
    value = getattr(envelope, name, None) if envelope is not None else None
    return str(value) if value else None


def _message(error: stripe.StripeError) -> str:
    body: Any = error.json_body or {}
    return str(body.get("error", {}).get("message") or type(error).__name__)


def default_fix(error: stripe.StripeError) -> str | None:
    if isinstance(error, stripe.AuthenticationError):
        return "the API key was refused (revoked or wrong account): set a valid key in stack config"
    if isinstance(error, stripe.PermissionError):
        return "give the key the `app_install_write` permission (Dashboard > Developers > API keys)"
    if isinstance(error, stripe.RateLimitError):
        return "Stripe kept rate limiting after retries; run again or lower --parallel"
    if isinstance(error, stripe.APIConnectionError):
        return "check stripe-apps:apiBase and the network, then run `pulumi up` again"
    return None


def is_missing(error: StripeAppsError) -> bool:
    return error.http_status == 404 or error.code == "resource_missing"
