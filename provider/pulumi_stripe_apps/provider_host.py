"""Serves dynamic providers like `python -m pulumi.dynamic`, showing our errors as messages.

Pulumi's dynamic provider host reports every exception with its Python traceback. A
`StripeAppsError` already says what failed and what to do, so this host reports it as that
message alone; any other exception keeps its traceback (it is a bug, and the trace helps).
The engine starts it through the `pulumi-resource-pulumi-python` launcher.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import grpc
from pulumi.dynamic import __main__ as dynamic_host

from pulumi_stripe_apps.errors import StripeAppsError

Handler = Callable[[Any, Any, Any], Any]
RPCS = ("Check", "Diff", "Create", "Read", "Update", "Delete", "Invoke", "Construct", "Call")


def _undecorated(handler: Handler) -> Handler | None:
    """The function inside Pulumi's `_abort_with_traceback` wrapper, when it is that wrapper."""
    cells = getattr(handler, "__closure__", None) or ()
    inner = [cell.cell_contents for cell in cells if callable(cell.cell_contents)]
    return inner[0] if len(inner) == 1 and handler.__name__ == "wrapper" else None


def _reporting(handler: Handler) -> Handler:
    def serve(self: Any, request: Any, context: Any) -> Any:
        try:
            return handler(self, request, context)
        except StripeAppsError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        except Exception:
            context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())

    return serve


def install_error_reporting() -> None:
    servicer = dynamic_host.DynamicResourceProviderServicer
    for name in RPCS:
        handler = getattr(servicer, name, None)
        inner = _undecorated(handler) if handler is not None else None
        if inner is not None:
            setattr(servicer, name, _reporting(inner))


def main() -> None:
    install_error_reporting()
    dynamic_host.main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
