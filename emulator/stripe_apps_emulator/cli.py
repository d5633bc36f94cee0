"""`stripe-apps-emulator serve`: print the base URL and the seeded keys, then serve until a signal."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .app import SURFACES
from .models import Backend
from .server import bind, make_server


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="stripe-apps-emulator", description="A local Stripe Apps API emulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulator")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    serve.add_argument("--data", default=None, help="directory for the SQLite file (state survives restarts)")
    serve.add_argument("--rate-limit", action=argparse.BooleanOptionalAction, default=True)
    serve.add_argument(
        "--surface",
        choices=SURFACES,
        default="full",
        help="`stripe`: the address serves only what api.stripe.com serves; the emulator's own routes "
        "(uploads, control plane, Dashboard) move to --internal-port",
    )
    serve.add_argument("--internal-port", type=int, default=0, help="with --surface stripe; 0 picks a free port")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    backend = Backend(args.data, rate_limit=args.rate_limit)
    sock = bind(args.host, args.port)
    internal = bind(args.host, args.internal_port) if args.surface == "stripe" else None
    host, port = sock.getsockname()[:2]
    lines = [f"http://{host}:{port}"]
    if internal is not None:
        lines.append(f"internal=http://{host}:{internal.getsockname()[1]}")
    for group, keys in backend.accounts.seeded_keys().items():
        lines.extend(f"{group}.{name}={value}" for name, value in keys.items())
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    # uvicorn handles SIGINT and SIGTERM itself and returns after a graceful shutdown.
    sockets = [sock] if internal is None else [sock, internal]
    make_server(backend, args.surface, internal).run(sockets=sockets)
    backend.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
