"""Run the emulator with uvicorn: in a background thread on port 0 (tests) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from .app import Surface, create_app
from .models import Backend

STARTUP_TIMEOUT = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the port is known (and connectable) before the server runs.

    The protocol is named: asyncio turns Nagle's algorithm off only on sockets whose `proto` is TCP, and
    with Nagle on, every response on a kept-alive connection waits ~40 ms for the client's delayed ACK.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def make_server(backend: Backend, surface: Surface = "full", internal: socket.socket | None = None) -> uvicorn.Server:
    """One server for every listening socket; on the `stripe` surface `internal` serves the full surface."""
    ports = frozenset({internal.getsockname()[1]}) if internal is not None else frozenset()
    app = create_app(backend, surface, ports)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    return uvicorn.Server(config)


@dataclass
class RunningEmulator:
    """A live emulator: its base URLs, the seeded keys and the backend (for white-box checks).

    `url` is what a provider is given. On the `stripe` surface it serves only what api.stripe.com
    serves, and `internal_url` (the control plane, the Dashboard, the upload surface the Stripe CLI
    stand-in talks to) is another port; on the `full` surface both are the same address.
    """

    url: str
    internal_url: str
    surface: Surface
    keys: dict[str, dict[str, str]]
    backend: Backend


@contextmanager
def running_emulator(
    data_dir: str | Path | None = None,
    *,
    rate_limit: bool = True,
    host: str = "127.0.0.1",
    surface: Surface = "full",
) -> Iterator[RunningEmulator]:
    """Serve the emulator on free ports in a daemon thread; stop it on exit."""
    backend = Backend(data_dir, rate_limit=rate_limit)
    sock = bind(host, 0)
    internal = bind(host, 0) if surface == "stripe" else None
    sockets = [sock] if internal is None else [sock, internal]
    server = make_server(backend, surface, internal)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the emulator did not start")
        time.sleep(0.005)
    url = f"http://{host}:{sock.getsockname()[1]}"
    internal_url = url if internal is None else f"http://{host}:{internal.getsockname()[1]}"
    try:
        yield RunningEmulator(url, internal_url, surface, backend.accounts.seeded_keys(), backend)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        for listening in sockets:
            listening.close()
        backend.store.close()
