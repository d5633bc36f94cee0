"""What every resource's provider shares: settings from `configure()`, errors as short messages, nothing pickled."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from pulumi_stripe_apps import enginewatch
from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.resources import collection
from pulumi_stripe_apps.settings import Settings, load_settings

LIFECYCLE = ("check", "diff", "create", "read", "update", "delete")

# Loaded in Pulumi's dynamic-provider host (to serve our resources), this keeps the host from outliving its engine.
enginewatch.start()
Method = TypeVar("Method", bound=Callable[..., Any])


def reported(method: Method) -> Method:
    """Raises our errors with no traceback of their own and no chained SDK exception.

    Pulumi's dynamic-provider host (`python -m pulumi.dynamic`) reports every exception as
    `traceback.format_exc()`. Re-raised here, a StripeAppsError carries only the host's frames and
    this one, and its message, ending with the fix, is the last thing the user reads.
    """

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except StripeAppsError as error:
            raise error.with_traceback(None) from None

    return call  # type: ignore[return-value]


def restore_pickler() -> None:
    """Undoes what Pulumi's `serialize_provider` leaves behind after each dynamic resource.

    It wraps pickle's `_batch_setitems` in a sorting wrapper on every call and never unwraps it, so in one
    program each dynamic resource pickles through one more wrapper than the last: quadratic, and past ~900
    resources a RecursionError. Called after each of our resources is declared (`after_declaration`), it puts
    back the function pickle defines (found by unwrapping), so a program of thousands of resources stays linear.
    """
    current = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    while current.__qualname__ != "_Pickler._batch_setitems":
        inner = [cell.cell_contents for cell in current.__closure__ or () if callable(cell.cell_contents)]
        if len(inner) != 1:
            return  # not the SDK's wrapper: leave whatever this is alone
        current = inner[0]
    pickle._Pickler._batch_setitems = current  # type: ignore[attr-defined]


def after_declaration() -> None:
    """After each of our resources is declared: a program of thousands of them stays linear (while it runs)."""
    restore_pickler()
    collection.keep_collections_linear()


class ConfiguredProvider(ResourceProvider):
    """Holds no state: settings come from `configure()` in the provider process and are never pickled.

    The engine pickles the provider object into every resource's state and reuses it long after
    (refresh, destroy), so it carries nothing: no key, no client, no settings. Every lifecycle method
    of a subclass reports errors through `reported`.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in LIFECYCLE:
            if name in cls.__dict__:
                setattr(cls, name, reported(cls.__dict__[name]))

    def __reduce__(self) -> tuple[type[ConfiguredProvider], tuple[()]]:
        # The class alone (by reference): no state, so pickling it never runs `_batch_setitems`.
        return (type(self), ())

    def __setstate__(self, state: dict[str, Any]) -> None:
        """State pickled before `__reduce__` (an empty dict) still loads."""

    def configure(self, req: ConfigureRequest) -> None:
        self.configure_with(req.config.get)

    def configure_with(self, lookup: Callable[[str], object]) -> None:
        """Settings from a lookup of namespaced config keys (`stripe-apps:apiBase`); both fronts call this."""
        try:
            self._settings: Settings | StripeAppsError = load_settings(lookup)
        except ValueError as error:
            # configure() runs outside the lifecycle methods; the first of them reports it.
            self._settings = StripeAppsError(
                "reading", "the stack config", str(error), fix="correct it with `pulumi config set`"
            )

    def settings(self) -> Settings:
        found: Settings | StripeAppsError | None = getattr(self, "_settings", None)
        if isinstance(found, StripeAppsError):
            raise found
        return found if found is not None else load_settings(lambda _key: None)
