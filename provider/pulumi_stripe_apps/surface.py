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

import base64
import http.client
import json
import threading
import urllib.request
from typing import Literal
from urllib.parse import unquote, urlsplit

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

    It speaks HTTP with the standard library: the first check of a preview waits for this answer, and a preview
    makes no other request, so loading an HTTP client package here would cost every preview its import.
    """
    parts = urlsplit(api_base)
    failure = ""
    for _ in range(HANDSHAKE_ATTEMPTS):
        connection, target, headers = _connection(parts.scheme.lower(), parts.netloc)
        try:
            connection.request("GET", target, headers={"Accept": "application/json", **headers})
            response = connection.getresponse()
            return "full" if _is_emulator(response.status, response.read()) else "public"
        except OSError as error:  # refused, reset, timed out, TLS failures: the address was not reached
            failure = type(error).__name__
        except http.client.HTTPException as error:  # reached, but what answered does not speak HTTP
            failure = type(error).__name__
        finally:
            connection.close()
    raise StripeAppsError(
        "reaching",
        f"stripe-apps:apiBase {api_base}",
        f"the address could not be reached ({failure}), so it is unknown whether it is the emulator or Stripe",
        fix="start the emulator (`stripe-apps-emulator serve`) or correct stripe-apps:apiBase "
        "(unset, it is https://api.stripe.com), then run the command again",
    )


def _connection(scheme: str, netloc: str) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection to the address, through the proxy the environment names for it as every other request goes
    (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), with the request target and headers to send on it."""
    context = None
    if scheme == "https":
        # The TLS settings of every other request (the same CA bundle and SSL_CERT_FILE): a gateway trusted for the
        # API is trusted here, and one that is not fails alike.
        from pulumi_stripe_apps.http import tls_context  # noqa: PLC0415 - only HTTPS addresses need it

        context = tls_context()
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(urlsplit(f"//{netloc}").hostname or ""):
        if context is None:
            return http.client.HTTPConnection(netloc, timeout=HANDSHAKE_TIMEOUT), IDENTITY_PATH, {}
        return http.client.HTTPSConnection(netloc, timeout=HANDSHAKE_TIMEOUT, context=context), IDENTITY_PATH, {}
    via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    headers = {}
    if via.username:
        credentials = f"{unquote(via.username)}:{unquote(via.password or '')}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    address = f"{via.hostname}:{via.port or 80}"
    if context is None:  # a plain HTTP request goes to the proxy, naming the whole URL
        proxied = http.client.HTTPConnection(address, timeout=HANDSHAKE_TIMEOUT)
        return proxied, f"http://{netloc}{IDENTITY_PATH}", headers
    tunnel = http.client.HTTPSConnection(address, timeout=HANDSHAKE_TIMEOUT, context=context)
    tunnel.set_tunnel(netloc, headers=headers)
    return tunnel, IDENTITY_PATH, {}


def _is_emulator(status: int, body: bytes) -> bool:
    if status != 200:
        return False
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("object") == "emulator" and answer.get("surface") == "full"


def forget() -> None:
    """Drops what this process learnt (tests start emulators on reused ports)."""
    with _lock:
        _known.clear()
