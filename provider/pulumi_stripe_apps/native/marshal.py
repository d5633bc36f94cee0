"""Property values between the engine's protobuf Structs (camelCase, secrets and unknowns marked) and the core's
plain dicts (snake_case)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

from pulumi_stripe_apps.fields import Field
from pulumi_stripe_apps.schema import camel

# Pulumi's wire signatures (pulumi.runtime.rpc): a secret is {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # a value not known during preview


@dataclass(frozen=True)
class Names:
    """One resource's property names both ways, from its field table; unknown names pass through."""

    to_schema: dict[str, str]
    to_core: dict[str, str]

    @classmethod
    def of(cls, fields: Iterable[Field]) -> Names:
        pairs = {field.name: camel(field.name) for field in fields}
        return cls(pairs, {schema: core for core, schema in pairs.items()})


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def to_core(struct: struct_pb2.Struct, names: Names) -> tuple[dict[str, Any], set[str]]:
    """Plain snake_case values, and the core names of the top-level values that came marked secret."""
    raw: dict[str, Any] = json_format.MessageToDict(struct)
    values: dict[str, Any] = {}
    secret: set[str] = set()
    for key, wire in raw.items():
        name = names.to_core.get(key, key)
        if is_secret(wire):
            secret.add(name)
        values[name] = plain(wire)
    return values, secret


def plain(value: Any) -> Any:
    """Nested secrets unwrapped; whole numbers back to ints (a Struct carries every number as a double)."""
    if is_secret(value):
        return plain(value.get("value"))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_struct(values: Mapping[str, Any], names: Names, secret: Iterable[str] = ()) -> struct_pb2.Struct:
    """camelCase values, the `secret` ones marked; engine-internal keys (`__...`) left out."""
    hidden = set(secret)
    out = struct_pb2.Struct()
    for name, value in values.items():
        if name.startswith("__"):
            continue
        wire = {SIG_KEY: SECRET_SIG, "value": value} if name in hidden and value is not None else value
        out[names.to_schema.get(name, name)] = wire
    return out
