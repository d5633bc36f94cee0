"""AppSecret without the engine: the field table drives diff; check catches argument mistakes with no HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.output import Unknown

from pulumi_stripe_apps.fields import Policy
from pulumi_stripe_apps.resources.app_secret import FIELDS, AppSecretProvider, _expiry_problem

NOW = int(time.time())
OLDS: dict[str, Any] = {
    "name": "slack_token",
    "scope": "user",
    "user": "usr_alice",
    "mode": "test",
    "payload": "xoxb-1",
    "expires_at": NOW + 30 * 86400,
    "livemode": False,
    "created": NOW,
}


def provider(keys: dict[str, str] | None = None) -> AppSecretProvider:
    configured = AppSecretProvider()
    config = {"stripe-apps:testApiKey": "sk_test_abc", **(keys or {})}
    configured.configure(ConfigureRequest(Config(config, "stripe-apps")))
    return configured


@pytest.mark.parametrize("field", [f for f in FIELDS if f.policy is not Policy.COMPUTED], ids=lambda f: f.name)
def test_each_input_field_acts_as_its_policy_says(field: Any) -> None:
    news = {**OLDS, field.name: "other"}
    result = AppSecretProvider().diff("appsecret_1", OLDS, news)
    assert result.changes is True
    assert result.replaces == ([field.name] if field.policy is Policy.REPLACE else [])
    # A replace no input asks for (`--replace`, `replaceOnChanges`) would set the same secret again: delete it first.
    assert result.delete_before_replace is (field.policy is not Policy.REPLACE)


@pytest.mark.parametrize("field", [f for f in FIELDS if f.policy is Policy.COMPUTED], ids=lambda f: f.name)
def test_computed_fields_and_the_provider_never_cause_a_change(field: Any) -> None:
    news = {**OLDS, field.name: "other", "__provider": "changed"}
    result = AppSecretProvider().diff("appsecret_1", OLDS, news)
    assert (result.changes, result.replaces) == (False, [])


def test_payload_and_secret_flag_are_declared_together() -> None:
    assert [f.name for f in FIELDS if f.secret] == ["payload"]


@pytest.mark.parametrize(
    ("news", "prop", "says"),
    [
        ({"name": " "}, "name", "name is required"),
        ({"scope": "team", "user": None}, "scope", "allowed values: account, user"),
        ({"user": None}, "user", "scope='user' needs user"),
        ({"user": "alice"}, "user", "usr_"),
        ({"scope": "account"}, "user", "only used with scope='user'"),
        ({"mode": "prod"}, "mode", "allowed values: test, sandbox, live"),
        ({"mode": "live"}, "mode", "pulumi config set --secret stripe-apps:liveApiKey"),
        ({"payload": ""}, "payload", "payload is required"),
        ({"expires_at": NOW - 1}, "expires_at", "in the past"),
        ({"expires_at": NOW + 101 * 365 * 86400}, "expires_at", "more than 100 years"),
        ({"expires_at": 1.5}, "expires_at", "whole unix seconds"),
    ],
)
def test_check_names_the_property_and_the_fix(news: dict[str, Any], prop: str, says: str) -> None:
    result = provider().check({}, {**OLDS, **news})
    assert [(failure.property, says in failure.reason) for failure in result.failures] == [(prop, True)]


def test_check_defaults_scope_and_accepts_values_known_only_at_apply() -> None:
    unknown = {name: Unknown() for name in ("name", "user", "payload", "expires_at")}  # type: ignore[no-untyped-call]
    assert provider().check({}, {**OLDS, **unknown}).failures == []
    # The clock at the call, not at collection: engine tests may run for minutes in between.
    expires_at = int(time.time()) + 600
    plain = provider().check({}, {"name": "n", "payload": "p", "mode": "test", "expires_at": float(expires_at)})
    assert plain.failures == []
    assert (plain.inputs["scope"], plain.inputs["expires_at"]) == ("account", expires_at)


def test_a_live_key_for_test_mode_is_refused_without_showing_it() -> None:
    result = provider({"stripe-apps:testApiKey": "sk_live_secretvalue"}).check({}, OLDS)
    assert [failure.property for failure in result.failures] == ["mode"]
    assert "sk_live_secretvalue" not in result.failures[0].reason


def test_an_expiry_within_100_calendar_years_passes() -> None:
    """Stripe counts 100 years, not 100 x 365 days: ten days past 36,500 days is within them (24 leap days)."""
    now = 1_800_000_000.0
    assert _expiry_problem(now + (100 * 365 + 10) * 86400, now) is None
    assert "more than 100 years" in str(_expiry_problem(now + (100 * 366) * 86400, now))
