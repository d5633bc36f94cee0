"""The provider's one HTTP client: Stripe's conventions on httpx, for every endpoint it calls.

Same retry rules as Stripe's SDKs (retry.py), one idempotency key per logical write reused by every
retry, form-encoded parameters the way Stripe's SDKs encode them, a pinned `Stripe-Version`, and
Stripe's error envelope turned into `StripeAppsError`. The official SDK is not loaded: importing it
(and the HTTP libraries it pulls in) would cost every provider process a few hundred milliseconds
before its first call.
"""

from __future__ import annotations

import functools
import random
import ssl
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from pulumi_stripe_apps.errors import StripeAppsError, default_fix
from pulumi_stripe_apps.pacing import Pacer
from pulumi_stripe_apps.poll import pause, stop_if_cancelled
from pulumi_stripe_apps.retry import MAX_RETRIES, RATE_LIMIT_RETRIES, backoff, is_rate_limit, should_retry
from pulumi_stripe_apps.settings import KEY_PREFIXES

Files = Mapping[str, tuple[str, Any, str]]
Fix = Callable[[StripeAppsError], "str | None"]
# The API version responses are read in; the emulator and Stripe both answer it.
STRIPE_VERSION = "2026-10-28.endive"
CANCELLED_WAITING = "while the request waited to be retried or for its turn under Stripe's rate limits"


class StripeHttp:
    """Requests against one API base with one key; the key never appears in errors or reprs."""

    def __init__(
        self,
        api_base: str,
        api_key: str,
        *,
        timeout: float = 80.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = pause,
        rng: random.Random | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=api_base,
            timeout=timeout,
            transport=transport,
            verify=tls_context() if api_base.startswith("https:") else False,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": "pulumi-stripe-apps",
                "Stripe-Version": STRIPE_VERSION,
            },
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._pacer = pacer or Pacer(live=api_key.startswith(KEY_PREFIXES["live"]), sleep=sleep)

    def __repr__(self) -> str:
        return f"StripeHttp({self._client.base_url})"

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        action: str,
        subject: str,
        account: str | None = None,
        fix: Fix | None = None,
    ) -> Any:
        query = form_pairs(params) if params else None
        return self._send("GET", path, action=action, subject=subject, params=query, account=account, fix=fix)

    def post(
        self,
        path: str,
        *,
        action: str,
        subject: str,
        data: Mapping[str, Any] | None = None,
        files: Callable[[], Files] | None = None,
        idempotency_key: str | None = None,
        account: str | None = None,
        fix: Fix | None = None,
    ) -> Any:
        key = idempotency_key or f"pulumi-stripe-apps-{uuid.uuid4()}"
        body = dict(form_pairs(data or {})) if files else form_pairs(data or {})
        return self._send(
            "POST", path, action=action, subject=subject, data=body, files=files, idem=key, account=account, fix=fix
        )

    def _send(
        self,
        method: str,
        path: str,
        *,
        action: str,
        subject: str,
        params: list[tuple[str, str]] | None = None,
        data: list[tuple[str, str]] | dict[str, str] | None = None,
        files: Callable[[], Files] | None = None,
        idem: str | None = None,
        account: str | None = None,
        fix: Fix | None = None,
    ) -> Any:
        headers = {"Idempotency-Key": idem} if idem else {}
        if account:
            headers["Stripe-Account"] = account
        content = None
        if isinstance(data, list):  # repeated keys (arrays): encoded here, httpx takes only mappings
            content, data = urlencode(data).encode(), None
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        retries = rate_limited = 0
        while True:
            # Once Stripe has refused one, every attempt keeps to its limits, retries too.
            paced = self._pacer.wait(method, path)
            if paced or retries or rate_limited:  # after a wait: a cancelled command sends nothing more
                stop_if_cancelled(action, subject, CANCELLED_WAITING)
            try:
                response = self._client.request(
                    method,
                    path,
                    params=tuple(params) if params else None,
                    data=data,
                    content=content,
                    files=files() if files else None,
                    headers=headers,
                )
            except httpx.TransportError as error:
                retries += 1
                if retries > MAX_RETRIES:
                    raise StripeAppsError(
                        action,
                        subject,
                        f"could not reach {self._client.base_url}: {type(error).__name__}",
                        fix="check stripe-apps:apiBase and the network, then run `pulumi up` again",
                    ) from None
                self._sleep(backoff(retries, self._rng))
                continue
            if response.status_code < 400:
                return response.json()
            if is_rate_limit(response.status_code, response.headers) and rate_limited < RATE_LIMIT_RETRIES:
                self._pacer.engage()
                rate_limited += 1
                self._sleep(backoff(rate_limited, self._rng))
                continue
            if retries < MAX_RETRIES and should_retry(response.status_code, response.headers):
                retries += 1
                self._sleep(backoff(retries, self._rng))
                continue
            failure = error_from_response(action, subject, response)
            if failure.http_status == 404 and failure.code is None:
                # No route answered, not an object: Stripe's `Unrecognized request URL`, a proxy's or a gateway's.
                raise failure.with_fix(unrecognized_route_fix(str(self._client.base_url)))
            raise failure.with_fix((fix(failure) if fix else None) or default_fix(failure))


def unrecognized_route_fix(api_base: str) -> str:
    return (
        f"is stripe-apps:apiBase the API root, without /v1? It is {api_base.rstrip('/')}; for Stripe leave it unset "
        "(https://api.stripe.com), for the emulator use the address `stripe-apps-emulator serve` prints"
    )


def form_pairs(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding, as its SDKs do it: `scope[type]=user`, `expand[0]=payload`, booleans as
    `true`/`false`, None left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs += form_pairs(value, name)
        elif isinstance(value, list | tuple):
            pairs += form_pairs({str(index): item for index, item in enumerate(value)}, name)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs


_TLS_LOCK = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings, built once per process (under a lock: the engine makes up to four
    calls at once): building them loads the CA bundle, ~30 ms of CPU under the GIL."""
    with _TLS_LOCK:
        return _tls_context_once()


@functools.cache
def _tls_context_once() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def error_from_response(action: str, subject: str, response: httpx.Response) -> StripeAppsError:
    try:
        body = response.json()
        error = body.get("error", {}) if isinstance(body, dict) else {}
    except ValueError:
        error = {}
    return StripeAppsError(
        action,
        subject,
        str(error.get("message") or response.reason_phrase or "no message"),
        code=error.get("code"),
        param=error.get("param"),
        request_id=response.headers.get("request-id"),
        http_status=response.status_code,
    )
