"""Stripe list envelopes: newest first, `limit`, and the `starting_after` / `ending_before` cursors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InvalidRequestError, ParametersExclusiveError

Doc = dict[str, Any]


def created_matches(value: int, bounds: dict[str, int] | None) -> bool:
    """Apply a `created[gt|gte|lt|lte]` (or plain `created=N`) filter."""
    if not bounds:
        return True
    checks: dict[str, Callable[[int, int], bool]] = {
        "eq": lambda v, b: v == b,
        "gt": lambda v, b: v > b,
        "gte": lambda v, b: v >= b,
        "lt": lambda v, b: v < b,
        "lte": lambda v, b: v <= b,
    }
    return all(checks[op](value, bound) for op, bound in bounds.items())


def paginate(newest_first: list[Doc], params: dict[str, Any], url: str) -> Doc:
    """Slice an already filtered, newest-first list into one page."""
    limit = int(params.get("limit", 10))
    after, before = params.get("starting_after"), params.get("ending_before")
    if after is not None and before is not None:
        raise ParametersExclusiveError(
            "You may only specify one of these parameters: starting_after, ending_before.", "ending_before"
        )
    ids = [doc["id"] for doc in newest_first]
    if after is not None:
        start = _position(ids, after, "starting_after") + 1
        page = newest_first[start : start + limit]
        has_more = start + limit < len(newest_first)
    elif before is not None:
        end = _position(ids, before, "ending_before")
        page = newest_first[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = newest_first[:limit]
        has_more = limit < len(newest_first)
    return {"object": "list", "url": url, "has_more": has_more, "data": page}


def _position(ids: list[str], cursor: str, param: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise InvalidRequestError(f"No such object: '{cursor}'", param) from None
