"""A do-nothing dynamic resource: the engine's floor in benchmarks and the smoke test of an engine."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult


class NoopProvider(ResourceProvider):
    """Stores its inputs as outputs; makes no call anywhere."""

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in news if not key.startswith("__") and olds.get(key) != news[key]]
        return DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"noop-{props['label']}", outs=_public(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=_public(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_public(news))


def _public(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if not key.startswith("__")}


class Noop(Resource, module="stripeapps", name="Noop"):
    """A resource with an input `label` and any others (`props`), that the engine plans and records like any
    other; each property is also an output of the same name."""

    label: pulumi.Output[str]

    def __init__(
        self, name: str, /, label: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None, **props: Any
    ) -> None:
        # `name` positional-only: the properties of a shape may include one called `name` (an AppSecret's)
        super().__init__(NoopProvider(), name, {**props, "label": label}, opts)
