"""The Stripe objects this engine operation made: deleting one of them is left to the resource that made it.

Stripe gives some objects one identity whoever makes them: a secret is set by name and scope, and an install is
created once per account, mode and app (the create returns the install that is there). When the engine replaces a
resource create-before-delete (`pulumi up --replace`, which asks the provider nothing), or a resource is renamed
without an alias, the create makes the very object the delete then names; deleted, the live resource would record
an object Stripe no longer has. A provider process serves one engine operation (the native plugin's Configure
starts it; Pulumi's dynamic host is started for each), so an object it made belongs to a live resource of the stack.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

_LOCK = threading.Lock()
# (the client that made it: one per API base and key, so one account; the object's identity)
_MADE: set[tuple[object, Hashable]] = set()


def start_operation() -> None:
    """A new engine operation: what an earlier one made is the stack's to delete again."""
    with _LOCK:
        _MADE.clear()


def record(client: object, identity: Hashable) -> None:
    with _LOCK:
        _MADE.add((client, identity))


def was_made(client: object, identity: Hashable) -> bool:
    with _LOCK:
        return (client, identity) in _MADE
