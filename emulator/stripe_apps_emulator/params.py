"""Declared request parameters: one spec per route drives validation and the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import (
    InvalidParameterError,
    ParameterInvalidEmptyError,
    ParameterInvalidEnumError,
    ParameterInvalidIntegerError,
    ParameterMissingError,
    ParameterUnknownError,
)

Kind = Literal["string", "integer", "boolean", "enum", "expand", "object", "range", "file"]


@dataclass(frozen=True)
class P:
    """One parameter: its kind, whether it is required, its enum values (for `expand`: the paths that
    can be expanded), nested fields, integer bounds and a string's maximum length."""

    kind: Kind
    description: str = ""
    required: bool = False
    enum: tuple[str, ...] = ()
    fields: dict[str, P] = field(default_factory=dict)
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None


Spec = dict[str, P]

RANGE_KEYS = ("gt", "gte", "lt", "lte")

# Stripe's limit on string parameters; declared per parameter where it is enforced.
MAX_STRING = 5000


def expand(*paths: str) -> P:
    """`expand[]` accepting only these paths; any other is Stripe's "This property cannot be expanded"."""
    return P("expand", "Specifies which fields in the response should be expanded.", enum=paths)


EXPAND = expand()


def list_params(*expandable: str) -> Spec:
    """Paging parameters; a list expands its objects' fields under `data.`."""
    return {
        "limit": P("integer", "A limit on the number of objects to be returned, 1 to 100.", minimum=1, maximum=100),
        "starting_after": P("string", "A cursor: the id of the last object of the previous page."),
        "ending_before": P("string", "A cursor: the id of the first object of the next page."),
        "expand": expand(*(f"data.{path}" for path in expandable)),
    }


LIST_PARAMS: Spec = list_params()


def validate(spec: Spec, raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Check `raw` against `spec`: unknown, missing, wrong type and bad enum values become 400s."""
    out: dict[str, Any] = {}
    for name in raw:
        if name not in spec:
            raise ParameterUnknownError(f"Received unknown parameter: {_path(prefix, name)}", _path(prefix, name))
    for name, param in spec.items():
        path = _path(prefix, name)
        if name not in raw:
            if param.required:
                raise ParameterMissingError(f"Missing required param: {path}.", path)
            continue
        out[name] = _coerce(param, raw[name], path)
    return out


def _path(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name


def _coerce(param: P, value: Any, path: str) -> Any:
    if param.kind == "object":
        if not isinstance(value, dict):
            raise InvalidParameterError(f"Invalid object: {path} must be a hash.", path)
        return validate(param.fields, value, path)
    if param.kind == "expand":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in items):
            raise InvalidParameterError(f"Invalid array: {path} must be a list of strings.", path)
        for index, item in enumerate(items):
            if item not in param.enum:
                raise InvalidParameterError(f"This property cannot be expanded ({item}).", f"{path}[{index}]")
        return items
    if param.kind == "file":
        return value if isinstance(value, bytes) else str(value).encode()
    if param.kind == "range":
        if isinstance(value, dict):
            return {
                key: _integer(P("integer"), item, f"{path}[{key}]")
                for key, item in validate({key: P("integer") for key in RANGE_KEYS}, value, path).items()
            }
        return {"eq": _integer(P("integer"), value, path)}
    if not isinstance(value, str):
        raise InvalidParameterError(f"Invalid {param.kind}: {path} must be a single value, not a hash or array.", path)
    if param.kind == "integer":
        return _integer(param, value, path)
    if param.kind == "boolean":
        if value not in ("true", "false"):
            raise InvalidParameterError(f"Invalid boolean: {value!r}. {path} must be true or false.", path)
        return value == "true"
    if param.kind == "enum":
        if value not in param.enum:
            raise ParameterInvalidEnumError(f"Invalid {path}: must be one of {', '.join(param.enum)}", path)
        return value
    if param.max_length is not None and len(value) > param.max_length:
        # The value is not echoed: it may be a secret's payload.
        raise InvalidParameterError(
            f"Invalid string: {path} must be at most {param.max_length} characters (it has {len(value)}).", path
        )
    if value == "" and param.required:
        raise ParameterInvalidEmptyError(
            f"You passed an empty string for '{path}'. We assume empty values are an attempt to unset a "
            "parameter; however '{path}' cannot be unset.".replace("{path}", path),
            path,
        )
    return value


def _integer(param: P, value: Any, path: str) -> int:
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 20:
        number = int(value)
    else:
        raise ParameterInvalidIntegerError(f"Invalid integer: {value!r}", path)
    if (param.minimum is not None and number < param.minimum) or (param.maximum is not None and number > param.maximum):
        raise InvalidParameterError(f"Invalid {path}: must be between {param.minimum} and {param.maximum}", path)
    return number
