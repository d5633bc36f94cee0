"""The Starlette app: one request pipeline in a fixed order, like stripe-mock."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from . import dashboard
from .errors import (
    ApiError,
    InvalidRequestError,
    LockTimeoutError,
    RateLimitedError,
    ResourceMissingError,
    StripeError,
    UnrecognizedUrlError,
    stripe_error,
)
from .formdecode import decode_form, decode_multipart
from .ids import random_id
from .models import Backend, Caller
from .models.events import CURRENT_REQUEST
from .models.faults import Decision
from .models.idempotency import check_key, fingerprint
from .params import validate
from .routes import Ctx, Match, Router, all_routes
from .routes.control import create_target
from .versions import API_VERSION, check_version

log = logging.getLogger("stripe_apps_emulator")
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]
Surface = Literal["full", "stripe"]
SURFACES: tuple[Surface, ...] = ("full", "stripe")


class ConnectionDroppedError(Exception):
    """Raised after the response has started, so the server aborts the connection."""


class _DropResponse(Response):
    """Start a response, then raise: uvicorn closes the socket and the client sees a broken connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        raise ConnectionDroppedError("fault injection: connection dropped")


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    # Whether an Idempotency-Key stores this result: the endpoint started executing (its parameters
    # passed validation and the key may use it), whatever the status.
    saved: bool = True


def _json(outcome: Outcome, request_id: str, version: str) -> Response:
    headers = {"Request-Id": request_id, "Stripe-Version": version, **outcome.headers}
    return Response(
        json.dumps(outcome.body), status_code=outcome.status, headers=headers, media_type="application/json"
    )


def _error(exc: StripeError, request_id: str, *, saved: bool = False) -> Outcome:
    return Outcome(exc.status, exc.envelope(request_id), dict(exc.headers), saved)


def _api_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


class Pipeline:
    """Request-Id -> faults -> auth -> version -> rate limit -> idempotency -> route -> validate -> handler.

    On the `stripe` surface, requests to the public address see only what api.stripe.com serves (the
    Install API, the Secret Store API, events, the account); everything else answers Stripe's 404. The
    emulator's own routes (uploads, app objects, Marketplace review, the control plane with its identity
    handshake, and the Dashboard page) answer only on the internal ports, where the Stripe CLI stand-in
    and the tests reach them.
    """

    def __init__(
        self, backend: Backend, surface: Surface = "full", internal_ports: frozenset[int] = frozenset()
    ) -> None:
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {', '.join(SURFACES)}, not {surface!r}")
        self.backend = backend
        self.surface = surface
        self.internal_ports = internal_ports
        self.router = Router(all_routes())
        self.dashboard = dashboard.Dashboard(backend)

    def full_surface(self, request: Request) -> bool:
        """Whether this request may reach the emulator-only routes."""
        if self.surface == "full":
            return True
        server = request.scope.get("server")
        return server is not None and server[1] in self.internal_ports

    async def handle(self, request: Request) -> Response:
        request_id = random_id("req_", 14)
        path = request.url.path
        internal = self.full_surface(request)
        entry = self._entry(request, request_id, internal)
        if not internal:
            match = self.router.match(request.method, path)
            if match is None or not match.route.public:
                outcome = _error(self._unrecognized(request), request_id)
                entry["status"] = outcome.status
                self.backend.request_log.append(entry)
                return _json(outcome, request_id, API_VERSION)
        elif dashboard.serves(path):
            return await self._dashboard_page(request, request_id, entry)
        drop = False
        try:
            if path.startswith("/_emulator/") or path == "/openapi.json":
                outcome = await self._control(request, request_id)
            else:
                decision = self.backend.faults.decide(request.method, path, request_id)
                entry["fault"] = decision.kind if decision else None
                outcome = await self._api(request, request_id, decision, entry)
                drop = decision is not None and decision.kind == "drop"
        except StripeError as exc:
            outcome = _error(exc, request_id)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, path)
            outcome = _error(ApiError("An unexpected error occurred in the emulator."), request_id)
        entry["status"] = 0 if drop else outcome.status
        self.backend.request_log.append(entry)
        if drop:
            return _DropResponse()
        return _json(outcome, request_id, entry["version"] or API_VERSION)

    @staticmethod
    def _entry(request: Request, request_id: str, internal: bool) -> dict[str, Any]:
        """The request log's record of one request; `address` tells which surface it reached."""
        return {
            "method": request.method,
            "path": request.url.path,
            "request_id": request_id,
            "address": "internal" if internal else "public",
            "account": None,
            "mode": None,
            "idempotency_key": request.headers.get("idempotency-key"),
            # The API version the request used, once its Stripe-Version header passed the check.
            "version": None,
            "fault": None,
            # The rate limit that refused the request: "global" (the account's) or "endpoint" (its operation's).
            "rate_limit": None,
            # What a create attempt is for (routes/control.py `create_target`), once its parameters are read.
            "target": None,
            "status": None,
        }

    async def _dashboard_page(self, request: Request, request_id: str, entry: dict[str, Any]) -> Response:
        """The Dashboard page speaks HTML and HTML forms, not JSON: it answers on its own."""
        try:
            page = await self.dashboard.handle(request)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            page = Response("The Dashboard page failed; see the emulator's log.", status_code=500)
        entry["status"] = page.status_code
        self.backend.request_log.append(entry)
        page.headers["Request-Id"] = request_id
        return page

    async def _control(self, request: Request, request_id: str) -> Outcome:
        match = self.router.match(request.method, request.url.path)
        if match is None or not match.route.control:
            raise self._unrecognized(request)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise InvalidRequestError("The control-plane body must be JSON.") from None
        ctx = Ctx(self.backend, None, {}, match.path, request_id, body)
        try:
            with self.backend.store.transaction():
                reply = match.route.handler(ctx)
        except KeyError as exc:
            raise ResourceMissingError(f"No such object: {exc.args[0]!r}") from None
        except ValueError as exc:
            raise InvalidRequestError(str(exc)) from None
        status, body_out = reply if isinstance(reply, tuple) else (200, reply)
        return Outcome(status, body_out, {})

    @staticmethod
    def _unrecognized(request: Request) -> UnrecognizedUrlError:
        return UnrecognizedUrlError(
            f"Unrecognized request URL ({request.method}: {request.url.path}). "
            "Please see https://docs.stripe.com/api "
            "or we can help at https://support.stripe.com/."
        )

    async def _api(
        self, request: Request, request_id: str, decision: Decision | None, entry: dict[str, Any]
    ) -> Outcome:
        if decision is not None:
            if decision.kind == "error_before":
                raise ApiError("An error occurred while processing your request (injected fault).")
            if decision.kind == "rate_limit":
                raise RateLimitedError()
            if decision.kind == "lock_timeout":
                raise LockTimeoutError()
            if decision.kind == "latency":
                await asyncio.sleep(decision.latency_ms / 1000)
        caller = self.backend.accounts.authenticate(
            _api_key(request), request.headers.get("stripe-account"), request.headers.get("stripe-context")
        )
        entry["account"], entry["mode"] = caller.account, caller.mode
        entry["version"] = check_version(request.headers.get("stripe-version"))
        found = self.router.match(request.method, request.url.path)
        match = found if found is not None and not found.route.control else None
        # The key's account pays, for requests on a connected account too (COVERAGE.md: inferred); every id of
        # one route pattern is one endpoint, and a URL that names no operation takes only a global token.
        endpoint = f"{request.method} {match.route.pattern}" if match is not None else None
        entry["rate_limit"] = self.backend.rate_limits.charge(caller.key_account, caller.livemode, endpoint)
        if entry["rate_limit"] is not None:
            raise RateLimitedError()
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        if key is not None:
            check_key(key)
        if match is None:
            raise self._unrecognized(request)
        raw, print_params = await self._params(request, match)
        entry["target"] = create_target(request.method, match.route.pattern, match.path, raw)
        print_ = fingerprint(request.method, request.url.path, print_params)
        scope = f"{caller.account}:{caller.mode}"
        token = CURRENT_REQUEST.set({"id": request_id, "idempotency_key": key})
        try:
            # One synchronous critical section: requests sharing a key are serialised, so the
            # second sees the first one's stored result and never creates a second object.
            with self.backend.store.transaction():
                if key is not None:
                    stored = self.backend.idempotency.lookup(scope, key, print_)
                    if stored is not None:
                        return Outcome(
                            stored.status,
                            stored.body,
                            {
                                "Idempotent-Replayed": "true",
                                "Original-Request": stored.request_id,
                                "Idempotency-Key": key,
                            },
                        )
                outcome = self._handle(caller, match, raw, request_id, decision)
                if key is not None and outcome.saved:
                    self.backend.idempotency.save(
                        scope, key, print_, status=outcome.status, body=outcome.body, request_id=request_id
                    )
                    outcome.headers["Idempotency-Key"] = key
                return outcome
        finally:
            CURRENT_REQUEST.reset(token)

    def _handle(
        self, caller: Caller, match: Match, raw: dict[str, Any], request_id: str, decision: Decision | None
    ) -> Outcome:
        # A StripeError still commits: lazy transitions settled while serving the request are real
        # state changes; handlers check their inputs before they write.
        try:
            params = validate(match.route.params, raw)
        except StripeError as exc:
            return _error(exc, request_id)  # validation failed: nothing is saved
        try:
            reply = match.route.handler(Ctx(self.backend, caller, params, match.path, request_id))
        except StripeError as exc:
            # The endpoint started executing: its result is saved (a 404 for a missing object
            # included), unless the error is itself a parameter check or a missing permission.
            return _error(exc, request_id, saved=exc.saved)
        status, body = reply if isinstance(reply, tuple) else (200, reply)
        if decision is not None and decision.kind == "error_after":
            error = ApiError("An error occurred after your request was processed (injected fault).")
            return _error(error, request_id, saved=True)
        return Outcome(status, body, {})

    @staticmethod
    async def _params(request: Request, match: Match) -> tuple[dict[str, Any], Any]:
        """Decoded parameters, and what identifies them for idempotency."""
        if request.method != "POST":
            raw = decode_form(request.url.query)
            return raw, raw
        body = await request.body()
        if match.route.multipart:
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("multipart/form-data"):
                raise InvalidRequestError("Uploads must be sent as multipart/form-data.")
            parts = decode_multipart(content_type, body)
            files = {name for name, spec in match.route.params.items() if spec.kind == "file"}
            decoded: dict[str, Any] = {}
            printed: dict[str, Any] = {}
            for name, part in parts.items():
                if name in files:
                    decoded[name] = part.data
                    printed[name] = hashlib.sha256(part.data).hexdigest()
                else:
                    decoded[name] = printed[name] = part.data.decode("utf-8", errors="replace")
            return decoded, printed
        raw = decode_form(body)
        return raw, raw


def create_app(
    backend: Backend | None = None, surface: Surface = "full", internal_ports: frozenset[int] = frozenset()
) -> Starlette:
    """The ASGI app; every path goes through the one pipeline."""
    pipeline = Pipeline(backend or Backend(), surface, internal_ports)
    app = Starlette(routes=[StarletteRoute("/{path:path}", pipeline.handle, methods=METHODS)])
    # `{path:path}` cannot match a path holding a newline (`%0A` in an id); those reach the pipeline too,
    # so they get a Stripe error with a Request-Id instead of Starlette's plain-text 404.
    app.router.default = request_response(pipeline.handle)
    app.state.backend = pipeline.backend
    return app


__all__ = ["SURFACES", "ConnectionDroppedError", "Pipeline", "Surface", "create_app", "stripe_error"]
