"""Which surface an API base serves: the emulator's full surface, or Stripe's public one. Decided here only.

The emulator says what it is: its control plane answers `GET /_emulator/identity` with `{"object": "emulator",
"surface": "full"}` wherever its full surface is served. Everything else is Stripe's public surface: api.stripe.com
however it is spelled (port, case, trailing slash) without asking anything, and any other address (a proxy in
front of Stripe, a gateway, the emulator's own `--surface stripe` address) after one unauthenticated handshake
that does not answer as the emulator. So the URL never decides (`localhost` is not the emulator by itself), and
api.stripe.com costs no request.

The answer is kept for the provider process (one Pulumi command), so each process asks at most once per address.
"""

from __future__ import annotations

import threading
from typing import Literal
from urllib.parse import urlsplit

from pulumi_stripe_apps.errors import StripeAppsError

Surface = Literal["full", "public"]
STRIPE_HOST = "api.stripe.com"
IDENTITY_PATH = "/_emulator/identity"
HANDSHAKE_TIMEOUT = 10.0
HANDSHAKE_ATTEMPTS = 3

_lock = threading.Lock()
_known: dict[str, Surface] = {}


def is_stripe(api_base: str) -> bool:
    """api.stripe.com over HTTPS, whatever the spelling of host case, default port or trailing slash."""
    parts = urlsplit(api_base.strip())
    try:
        port = parts.port
    except ValueError:
        return False
    return parts.scheme.lower() == "https" and (parts.hostname or "") == STRIPE_HOST and port in (None, 443)


def surface_of(api_base: str) -> Surface:
    """The surface `api_base` serves; asks the address at most once per process (never api.stripe.com)."""
    if is_stripe(api_base):
        return "public"
    with _lock:
        found = _known.get(api_base)
        if found is None:
            found = _known[api_base] = _handshake(api_base)
        return found


def _handshake(api_base: str) -> Surface:
    """Asks the address whether it is the emulator's full surface; any answer but the emulator's says no.

    Only an address that cannot be reached fails: then nothing is known about it, and guessing either way would
    call routes Stripe does not serve or refuse features the emulator has.
    """
    import httpx  # noqa: PLC0415 - loaded when an address other than api.stripe.com is first used

    from pulumi_stripe_apps.http import tls_context  # noqa: PLC0415 - same reason

    parts = urlsplit(api_base)
    url = f"{parts.scheme}://{parts.netloc}{IDENTITY_PATH}"
    verify = tls_context() if parts.scheme == "https" else False
    failure = ""
    for _ in range(HANDSHAKE_ATTEMPTS):
        try:
            response = httpx.get(url, timeout=HANDSHAKE_TIMEOUT, verify=verify, follow_redirects=False)
        except httpx.TransportError as error:
            failure = type(error).__name__
            continue
        return "full" if _is_emulator(response) else "public"
    raise StripeAppsError(
        "reaching",
        f"stripe-apps:apiBase {api_base}",
        f"the address could not be reached ({failure}), so it is unknown whether it is the emulator or Stripe",
        fix="start the emulator (`stripe-apps-emulator serve`) or correct stripe-apps:apiBase "
        "(unset, it is https://api.stripe.com), then run the command again",
    )


def _is_emulator(response: object) -> bool:
    import httpx  # noqa: PLC0415

    assert isinstance(response, httpx.Response)
    if response.status_code != 200:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("object") == "emulator" and body.get("surface") == "full"


def forget() -> None:
    """Drops what this process learnt (tests start emulators on reused ports)."""
    with _lock:
        _known.clear()
