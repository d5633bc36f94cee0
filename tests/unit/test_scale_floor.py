"""The native scale floor states what ours recorded literally in its YAML program."""

from __future__ import annotations

from scripts.bench.scale import yaml_literal


def test_interpolation_in_recorded_strings_is_escaped_at_every_depth() -> None:
    recorded = {"name": "${v.app}", "items": ["a${b}", {"url": "https://x/${y}"}], "count": 3, "on": True}
    assert yaml_literal(recorded) == {
        "name": "$${v.app}",
        "items": ["a$${b}", {"url": "https://x/$${y}"}],
        "count": 3,
        "on": True,
    }


def test_values_without_interpolation_are_unchanged() -> None:
    recorded = {"status": "installed", "permissions": ["customer_read"], "id": "appinst_test_1", "price": None}
    assert yaml_literal(recorded) == recorded
