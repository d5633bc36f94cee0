"""Serves dynamic providers like `python -m pulumi.dynamic`, showing our errors as messages.

Pulumi's dynamic provider host reports every exception with its Python traceback. A
`StripeAppsError` already says what failed and what to do, so this host reports it as that
message alone; any other exception keeps its traceback (it is a bug, and the trace helps).
The engine starts it through the `pulumi-resource-pulumi-python` launcher.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

import grpc

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


def load_dynamic_host() -> types.ModuleType:
    """Pulumi's `pulumi.dynamic.__main__`, loaded without the `main()` call it makes on import."""
    name = "pulumi.dynamic.__main__"
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(f"{name} is missing: is the pulumi package installed?")
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read(), spec.origin)
    tree.body = [node for node in tree.body if not _is_main_call(node)]
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(tree, spec.origin, "exec"), module.__dict__)
    return module


def _is_main_call(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "main"
    )


def install_error_reporting(dynamic_host: types.ModuleType) -> None:
    servicer = dynamic_host.DynamicResourceProviderServicer
    for name in RPCS:
        handler = getattr(servicer, name, None)
        inner = _undecorated(handler) if handler is not None else None
        if inner is not None:
            setattr(servicer, name, _reporting(inner))


def main() -> None:
    dynamic_host = load_dynamic_host()
    install_error_reporting(dynamic_host)
    dynamic_host.main()


if __name__ == "__main__":
    main()
