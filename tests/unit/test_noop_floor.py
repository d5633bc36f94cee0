"""The native floor's Diff finds no change where the engine hands it a secret output against the same plain input."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2

from stripe_apps_devtools.noop_native import SECRET_SIG, SIG_KEY, NoopProvider


def _diff(olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
    request = provider_pb2.DiffRequest(olds=_struct(olds), news=_struct(news))
    return NoopProvider().Diff(request, None)  # type: ignore[arg-type]  # the servicer ignores its context


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def test_a_secret_output_against_the_same_plain_input_is_no_change() -> None:
    diff = _diff({"label": "v0", "signingSecret": _secret("xxxx")}, {"label": "v0", "signingSecret": "xxxx"})
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
    assert list(diff.diffs) == []


def test_a_secret_output_against_another_plain_value_is_a_change() -> None:
    diff = _diff({"label": "v0", "signingSecret": _secret("xxxx")}, {"label": "v0", "signingSecret": "yyyy"})
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.diffs) == ["signingSecret"]


def test_a_changed_or_new_plain_value_is_a_change() -> None:
    diff = _diff({"label": "v0", "mode": "test"}, {"label": "v0", "mode": "live", "account": "acct_1"})
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.diffs) == ["account", "mode"]


def test_the_same_values_are_no_change() -> None:
    values = {"label": "i0", "permissions": ["customer_read"], "nested": {"a": [1, 2]}}
    assert _diff(values, values).changes == provider_pb2.DiffResponse.DIFF_NONE
