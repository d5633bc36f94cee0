"""A small Stripe-convention HTTP client for the endpoints the official SDK does not cover (uploads).

Same retry rules as the SDK (retry.py), one idempotency key per logical write reused by every
retry, and Stripe's error envelope turned into `StripeAppsError`.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.retry import MAX_RETRIES, RATE_LIMIT_RETRIES, backoff, is_rate_limit, should_retry

Files = Mapping[str, tuple[str, Any, str]]


class StripeHttp:
    """Requests against one API base with one key; the key never appears in errors or reprs."""

    def __init__(
        self,
        api_base: str,
        api_key: str,
        *,
        timeout: float = 80.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=api_base,
            timeout=timeout,
            transport=transport,
            verify=_tls_context(),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "pulumi-stripe-apps"},
        )
        self._sleep = sleep
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"StripeHttp({self._client.base_url})"

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, str] | None = None, *, action: str, subject: str) -> Any:
        return self._send("GET", path, action=action, subject=subject, params=params)

    def post(
        self,
        path: str,
        *,
        action: str,
        subject: str,
        data: Mapping[str, str] | None = None,
        files: Callable[[], Files] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        key = idempotency_key or str(uuid.uuid4())
        return self._send("POST", path, action=action, subject=subject, data=data, files=files, idem=key)

    def _send(
        self,
        method: str,
        path: str,
        *,
        action: str,
        subject: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Callable[[], Files] | None = None,
        idem: str | None = None,
    ) -> Any:
        headers = {"Idempotency-Key": idem} if idem else {}
        retries = rate_limited = 0
        while True:
            try:
                response = self._client.request(
                    method, path, params=params, data=data, files=files() if files else None, headers=headers
                )
            except httpx.TransportError as error:
                retries += 1
                if retries > MAX_RETRIES:
                    raise StripeAppsError(
                        action, subject, f"could not reach {self._client.base_url}: {type(error).__name__}"
                    ) from None
                self._sleep(backoff(retries, self._rng))
                continue
            if response.status_code < 400:
                return response.json()
            if is_rate_limit(response.status_code, response.headers) and rate_limited < RATE_LIMIT_RETRIES:
                rate_limited += 1
                self._sleep(backoff(rate_limited, self._rng))
                continue
            if retries < MAX_RETRIES and should_retry(response.status_code, response.headers):
                retries += 1
                self._sleep(backoff(retries, self._rng))
                continue
            raise error_from_response(action, subject, response)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings, built once per process: building them loads the CA bundle, which
    costs ~30 ms of CPU under the GIL, and the provider makes a client for every call."""
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
        fix=KEY_FIXES.get(response.status_code),
    )


# Every StripeHttp call (uploads, Version History, the app object) uses the test-mode key.
KEY_FIXES = {
    401: "the API key was refused (revoked or wrong account): set a valid key with "
    "`pulumi config set --secret stripe-apps:testApiKey`",
    403: "the key in stripe-apps:testApiKey may not do this: use a secret key (sk_test_...) for uploads",
}
