"""Per-field diff policy: one table per resource drives `diff` and the generated schema."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN


class Policy(enum.Enum):
    REPLACE = "replace"  # a change makes a new object
    UPDATE = "update"  # a change is applied in place
    IGNORE = "ignore"  # locates inputs or tunes behaviour; never changes the object by itself
    COMPUTED = "computed"  # an output, or an input derived by `check` from other inputs


@dataclass(frozen=True)
class Field:
    name: str
    policy: Policy
    type: str
    description: str
    secret: bool = False
    required: bool = False
    output: bool = True
    # Derived by `check` from other inputs (a manifest's `version`): diffed by its policy, never set by users.
    derived: bool = False
    # Whether the output may be null; by default optional inputs may be, and computed outputs are always set.
    nullable: bool | None = None

    @property
    def is_input(self) -> bool:
        return self.policy is not Policy.COMPUTED and not self.derived

    @property
    def always_set(self) -> bool:
        if self.nullable is not None:
            return not self.nullable
        return self.required if self.is_input else True


def changed_fields(table: tuple[Field, ...], olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[Field]:
    """Fields whose policy acts on change and whose value differs; `__` keys never count."""
    return [
        field
        for field in table
        if field.policy in (Policy.REPLACE, Policy.UPDATE) and olds.get(field.name) != news.get(field.name)
    ]


def public(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if not key.startswith("__")}


def is_unknown(value: object) -> bool:
    """A value the engine will only know at apply time (during preview, from another resource's output)."""
    return isinstance(value, Unknown) or value == UNKNOWN
