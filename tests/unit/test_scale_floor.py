"""The native scale floor states what ours recorded literally in its YAML program."""

from __future__ import annotations

from scripts.bench.scale import growth_against_floor, yaml_literal


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


def test_a_higher_ratio_from_a_cheaper_smallest_step_is_not_called_more_growth() -> None:
    # ours 4.10 -> 7.47 ms per resource (1.82x), the floor 6.21 -> 9.74 ms (1.57x): ours grows 3.37 ms, the floor 3.53
    said = growth_against_floor((0.00410, 0.00747), (0.00621, 0.00974), 1.82, 1.57)
    assert "ours grows by 3.37 ms" in said and "the floor by 3.53 ms" in said
    assert "no more than the engine's own growth" in said
    assert "costs 2.11 ms per resource less than the floor's" in said


def test_growth_beyond_the_floors_is_named_with_its_size() -> None:
    said = growth_against_floor((0.004, 0.009), (0.004, 0.006), 2.25, 1.5)
    assert said.endswith("ours grows 3.00 ms per resource more.")


def test_a_floor_that_grows_as_much_puts_the_growth_on_the_engine() -> None:
    said = growth_against_floor((0.004, 0.006), (0.004, 0.008), 1.5, 2.0)
    assert "what grows is the engine's and the SDK's cost" in said
