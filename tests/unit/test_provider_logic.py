"""Pure provider logic: settings, retry decisions, the field tables that drive diff."""

from __future__ import annotations

import ast
import inspect
import random
import types
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN as UNKNOWN_WIRE

from pulumi_stripe_apps import surface
from pulumi_stripe_apps.fields import Change, Policy
from pulumi_stripe_apps.resources import app_installation, app_secret, app_version
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from pulumi_stripe_apps.resources.app_version import AppVersionProvider
from pulumi_stripe_apps.retry import INITIAL_DELAY, MAX_DELAY, backoff, should_retry
from pulumi_stripe_apps.settings import STRIPE_API_BASE, load_settings


def test_settings_prefer_stack_config_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_APPS_API_BASE", "http://from-env")
    monkeypatch.setenv("STRIPE_APPS_LIVE_API_KEY", "sk_live_env")
    config = {"stripe-apps:apiBase": "http://from-config/"}
    settings = load_settings(config.get)
    assert settings.api_base == "http://from-config"
    assert settings.keys == {"live": "sk_live_env"}
    assert "sk_live_env" not in repr(settings)


@pytest.mark.parametrize(
    ("mode", "key", "problem"),
    [
        ("live", None, "pulumi config set --secret stripe-apps:liveApiKey"),
        ("live", "sk_test_abc", "needs a key starting with sk_live_ or rk_live_"),
        ("test", "rk_live_abc", "needs a key starting with sk_test_ or rk_test_"),
        ("sandbox", "pk_test_abc", "is a pk_test_... key"),
        ("live", "a_LONGSECRETPART_b", "not a Stripe secret key"),
        ("test", "rk_test_abc", None),
        ("live", "sk_live_abc", None),
    ],
)
def test_key_problems_name_the_fix_and_never_the_key(mode: Any, key: str | None, problem: str | None) -> None:
    config = {f"stripe-apps:{mode}ApiKey": key} if key else {}
    found = load_settings(config.get).key_problem(mode)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
        assert key is None or key not in found
        assert "LONGSECRETPART" not in found


@pytest.mark.parametrize(
    ("status", "headers", "retry"),
    [
        (None, None, True),
        (500, {}, True),
        (503, {}, True),
        (409, {}, True),
        (429, {}, False),
        (429, {"stripe-should-retry": "true"}, True),
        (500, {"stripe-should-retry": "false"}, False),
        (400, {}, False),
        (404, {}, False),
    ],
)
def test_retry_decisions_follow_the_official_sdks(status: int | None, headers: Any, retry: bool) -> None:
    assert should_retry(status, headers) is retry


def test_backoff_grows_with_jitter_within_bounds() -> None:
    rng = random.Random(7)
    delays = [backoff(n, rng) for n in range(1, 10)]
    assert all(INITIAL_DELAY <= delay <= MAX_DELAY for delay in delays)
    assert delays[0] < delays[4]


@pytest.mark.parametrize("field", [f for f in app_version.FIELDS if f.policy is Policy.REPLACE])
def test_app_version_replaces_on_each_replace_field(field: Any) -> None:
    olds = {f.name: "old" for f in app_version.FIELDS}
    news = {**olds, field.name: "new"}
    result = AppVersionProvider().diff("id", olds, news)
    assert result.changes is True and result.replaces == [field.name]


@pytest.mark.parametrize("field", [f for f in app_version.FIELDS if f.policy is not Policy.REPLACE])
def test_app_version_ignores_other_fields(field: Any) -> None:
    olds = {f.name: "old" for f in app_version.FIELDS}
    news = {**olds, field.name: "new", "__provider": "changed"}
    result = AppVersionProvider().diff("id", olds, news)
    assert result.changes is False and result.replaces == []


def install_state(**changes: Any) -> dict[str, Any]:
    state = {
        "app": "app_1",
        "version": "1.0.0",
        "mode": "live",
        "distribution": "private",
        "installed_version": "1.0.0",
        "drift": [],
        "allow_permission_changes": False,
    }
    return {**state, **changes}


UNKNOWN = Unknown()
# S256 challenges (BASE64URL(SHA256(verifier)), RFC 7636 appendix B and another verifier).
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
OTHER_CHALLENGE = "VGFNYFdme_HcTJwm-znF39gBDerliKuY8ouMmYX6Ygc"
U, A, D = Change.UPDATE, Change.ADD, Change.DELETE


@pytest.mark.parametrize(
    ("olds", "news", "ignore", "expected", "delete_first"),
    # delete_first: what a replace would do. One no input asks for (`--replace`, `replaceOnChanges`) would create the
    # same install again (one per account, mode and app), so the old one goes first.
    [
        # A version bump upgrades in place; access that changes with it is carried by the update.
        ({}, {"version": "1.1.0"}, (), [("version", U, False, True)], True),
        (
            {},
            {"version": "1.1.0", "requested_access": {"permissions": ["a", "b"]}},
            (),
            [("version", U, False, True), ("requested_access", A, False, True)],
            True,
        ),
        # ... even while preview cannot know the app yet: the AppVersion being replaced keeps its app_ id.
        ({}, {"app": UNKNOWN, "version": "1.1.0"}, (), [("version", U, False, True)], True),
        ({}, {"app": UNKNOWN}, (), [], True),
        ({}, {"app": "app_2"}, (), [("app", U, True, True)], False),
        ({}, {"mode": "test"}, (), [("mode", U, True, True)], False),
        # A replace-on-change input not known yet is a possible replace (the engine's convention).
        ({}, {"mode": UNKNOWN}, (), [("mode", U, True, True)], False),
        ({}, {"account": "acct_2"}, (), [("account", A, True, True)], False),
        (
            {"account": "acct_2", "installed_account": "acct_2"},
            {"account": None},
            (),
            [("account", D, True, True)],
            False,
        ),
        ({}, {"distribution": "public"}, (), [("distribution", U, True, True)], True),
        # Output-only: drift found by refresh is cleared; a version Stripe moved the install to is put back.
        ({"drift": ["status is install_failed"]}, {}, (), [("drift", D, False, False)], True),
        ({"installed_version": "1.2.0"}, {}, (), [("installed_version", U, False, False)], True),
        # The program's ignoreChanges, by top-level name or `*`.
        ({"drift": ["status is install_failed"]}, {}, ("drift",), [], True),
        ({}, {"version": "1.1.0", "mode": "test"}, ("*",), [], True),
        ({}, {"version": "1.1.0", "mode": "test"}, ("mode",), [("version", U, False, True)], True),
        # Inputs that only tune behaviour never cause a change on their own.
        ({}, {"allow_permission_changes": True}, (), [], True),
        # A new PKCE challenge asks for a new auth_code in place; the install stays.
        ({}, {"code_challenge": CHALLENGE}, (), [("code_challenge", A, False, True)], True),
        (
            {"code_challenge": CHALLENGE},
            {"code_challenge": OTHER_CHALLENGE},
            (),
            [("code_challenge", U, False, True)],
            True,
        ),
        ({"auth_code": "ac_1"}, {}, (), [], True),
    ],
)
def test_app_installation_detailed_diff(
    olds: dict[str, Any],
    news: dict[str, Any],
    ignore: tuple[str, ...],
    expected: list[tuple[str, Change, bool, bool]],
    delete_first: bool,
) -> None:
    result = AppInstallationProvider().diff("appinst_1", install_state(**olds), install_state(**news), ignore)
    assert [(entry.name, entry.change, entry.replace, entry.input) for entry in result.properties] == expected
    assert result.changes is bool(expected)
    assert result.replaces == [name for name, _, replace, _ in expected if replace]
    assert result.delete_before_replace is delete_first


def test_a_failed_upload_is_uploaded_again_as_an_output_only_replace() -> None:
    olds = {f.name: "old" for f in app_version.FIELDS}
    result = AppVersionProvider().diff("appupl_1", {**olds, "status": "failed"}, olds)
    assert [(e.name, e.change, e.replace, e.input) for e in result.properties] == [("status", U, True, False)]
    assert AppVersionProvider().diff("appupl_1", {**olds, "status": "failed"}, olds, {"status"}).changes is False


def test_a_live_upgrade_names_a_value_not_known_yet_as_such(capsys: pytest.CaptureFixture[str]) -> None:
    olds = install_state(permissions_granted=["customer_read"])
    for app, version in ((UNKNOWN, "1.1.0"), (UNKNOWN_WIRE, UNKNOWN_WIRE)):
        news = install_state(app=app, version=version, requested_access={"permissions": ["invoice_write"]})
        AppInstallationProvider().diff("appinst_1", olds, news)
    printed = capsys.readouterr().err
    assert "Unknown object" not in printed and UNKNOWN_WIRE not in printed
    assert "upgrading the live install of the app being uploaded to version 1.1.0 adds access" in printed
    assert "of the app being uploaded to the version being uploaded adds access: permission invoice_write" in printed


EMULATOR = "http://127.0.0.1:12111"


@pytest.fixture(autouse=True)
def emulator_answers_its_handshake(monkeypatch: pytest.MonkeyPatch) -> None:
    """EMULATOR stands for an address that answered the emulator's handshake (tests/emulator/test_surface_handshake.py
    shows the handshake itself over real sockets); any other address is never asked here."""

    def handshake(api_base: str) -> str:
        assert api_base == EMULATOR, f"unexpected handshake with {api_base}"
        return "full"

    monkeypatch.setattr(surface, "_handshake", handshake)


def configured_install_provider(*, api_base: str = EMULATOR, **keys: str) -> AppInstallationProvider:
    """A provider on the emulator's full surface, or on Stripe's public one with api_base=STRIPE_API_BASE."""
    provider = AppInstallationProvider()
    config = {f"stripe-apps:{k}ApiKey": v for k, v in keys.items()}
    provider.configure(ConfigureRequest(Config({**config, "stripe-apps:apiBase": api_base}, "p")))
    return provider


@pytest.mark.parametrize(
    ("inputs", "prop", "text"),
    [
        ({"mode": "staging"}, "mode", "allowed values: test, sandbox, live"),
        ({"distribution": "marketplace"}, "distribution", "allowed: private, public"),
        ({"mode": "test", "distribution": "public"}, "distribution", "set distribution='private'"),
        ({"mode": "sandbox", "sandbox_install_compatible": False}, "mode", "sandbox_install_compatible: true"),
        ({"app": "com.example.billing"}, "app", "expected an app object id like app_"),
    ],
)
def test_app_installation_check_failures(inputs: dict[str, Any], prop: str, text: str) -> None:
    provider = configured_install_provider(test="sk_test_1", sandbox="sk_test_2", live="sk_live_3")
    news = {"app": "app_1", "version": "1.0.0", "mode": "live", **inputs}
    failures = provider.check({}, news).failures
    assert any(failure.property == prop and text in failure.reason for failure in failures), failures


def test_values_not_known_at_preview_pass_check_for_up_to_judge() -> None:
    provider = configured_install_provider(test="sk_test_1")
    news = {"app": UNKNOWN, "version": UNKNOWN_WIRE, "mode": UNKNOWN, "distribution": UNKNOWN_WIRE}
    assert provider.check({}, news).failures == []


def test_public_to_private_is_refused_with_the_reason() -> None:
    provider = configured_install_provider(live="sk_live_3")
    news = {"app": "app_1", "version": "1.0.0", "mode": "live", "distribution": "private"}
    failures = provider.check({"distribution": "public"}, news).failures
    assert [failure.property for failure in failures] == ["distribution"]
    assert "delisting from the Marketplace needs Stripe support" in failures[0].reason


def declared_outputs(module: types.ModuleType, resource: type) -> set[str]:
    """The output attributes a resource class declares for type checkers (its `if TYPE_CHECKING:` block)."""
    tree = ast.parse(inspect.getsource(module))
    body = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == resource.__name__).body
    block = next(node for node in body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    return {
        node.target.id for node in block.body if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def test_fields_tables_cover_every_output_attribute() -> None:
    for module, resource in (
        (app_version, app_version.AppVersion),
        (app_installation, app_installation.AppInstallation),
        (app_secret, app_secret.AppSecret),
    ):
        declared = declared_outputs(module, resource)
        outputs = {field.name for field in module.FIELDS if field.output}
        assert declared and declared <= outputs | {"app_id", "version", "fingerprint"}, resource
        # None at run time: the Pulumi SDK would evaluate them whenever a resource's outputs arrive.
        assert not inspect.get_annotations(resource), resource


def test_the_uploader_defaults_to_the_stripe_cli_on_stripe_and_to_the_api_on_the_emulator() -> None:
    assert load_settings(lambda _key: None).uploader == "cli"
    assert load_settings(lambda _key: None).surface == "public"
    emulated = load_settings({"stripe-apps:apiBase": EMULATOR}.get)
    assert (emulated.uploader, emulated.surface) == ("api", "full")


@pytest.mark.parametrize(
    "spelling",
    ["https://api.stripe.com", "https://api.stripe.com:443", "https://API.stripe.com/", "HTTPS://Api.Stripe.Com:443/"],
)
def test_api_stripe_com_however_spelled_is_stripes_surface_without_a_handshake(spelling: str) -> None:
    settings = load_settings({"stripe-apps:apiBase": spelling}.get)  # the autouse handshake fails for it
    assert (settings.surface, settings.uploader, settings.uploader_problem()) == ("public", "cli", None)


@pytest.mark.parametrize(
    "other", ["http://api.stripe.com", "https://api.stripe.com:8443", "https://api.stripe.com.evil"]
)
def test_only_https_api_stripe_com_on_its_port_skips_the_handshake(other: str) -> None:
    assert not surface.is_stripe(other)


def test_the_emulators_upload_api_is_refused_on_stripes_surface_at_check(tmp_path: Any) -> None:
    settings = load_settings({"stripe-apps:uploader": "api"}.get)
    assert "did not answer as the emulator" in (settings.uploader_problem() or "")
    provider = AppVersionProvider()
    provider.configure(
        ConfigureRequest(Config({"stripe-apps:uploader": "api", "stripe-apps:testApiKey": "sk_test_1"}, "p"))
    )
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "stripe-app.json").write_text('{"id": "com.example.x", "version": "1.0.0"}')
    failures = provider.check({}, {"app_dir": str(app_dir)}).failures
    assert any(f.property == "app_dir" and "Stripe has no upload API" in f.reason for f in failures)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ('{"com.example.billing": "app_123"}', {"com.example.billing": "app_123"}),
        ({"com.example.billing": "app_123"}, {"com.example.billing": "app_123"}),
        (None, {}),
    ],
)
def test_app_ids_come_as_json_or_a_config_map(raw: object, parsed: dict[str, str]) -> None:
    assert load_settings({"stripe-apps:appIds": raw}.get).app_ids == parsed


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("600", 600.0),  # stack config holds strings (and timeouts were typed as strings before)
        (600, 600.0),  # an explicit provider's number input
        (600.0, 600.0),
        ("600.5", 600.5),
        (None, 120.0),
    ],
)
def test_timeouts_come_as_numbers_or_the_strings_stack_config_holds(raw: object, seconds: float) -> None:
    assert load_settings({"stripe-apps:pollTimeout": raw}.get).poll_timeout == seconds


@pytest.mark.parametrize("raw", ["soon", "0", "-5", "nan", "inf"])
def test_a_timeout_that_is_not_a_positive_number_names_its_key(raw: str) -> None:
    with pytest.raises(ValueError, match=r"stripe-apps:uploadTimeout must be a positive number of seconds"):
        load_settings({"stripe-apps:uploadTimeout": raw}.get)


@pytest.mark.parametrize("raw", ["not json", '["app_1"]', '{"com.example.billing": "acct_1"}'])
def test_bad_app_ids_are_refused_with_the_expected_shape(raw: str) -> None:
    with pytest.raises(ValueError, match="stripe-apps:appIds must"):
        load_settings({"stripe-apps:appIds": raw}.get)


def test_stripe_surface_refuses_public_distribution_with_the_dashboard_steps() -> None:
    provider = configured_install_provider(api_base=STRIPE_API_BASE, live="sk_live_3")
    news = {"app": "app_1", "version": "1.0.0", "mode": "live", "distribution": "public", "requested_access": {}}
    failures = provider.check({}, news).failures
    assert [failure.property for failure in failures] == ["distribution"]
    assert "uninstall the app from live mode, then submit it for review" in str(failures[0].reason)


def test_stripe_surface_live_installs_need_the_versions_access() -> None:
    provider = configured_install_provider(api_base=STRIPE_API_BASE, live="sk_live_3")
    news = {"app": "app_1", "version": "1.0.0", "mode": "live"}
    failures = provider.check({}, news).failures
    assert [failure.property for failure in failures] == ["requested_access"]
    assert "requested_access=version.requested_access" in str(failures[0].reason)
    assert provider.check({}, {**news, "requested_access": {"permissions": []}}).failures == []


@pytest.mark.parametrize(
    ("olds", "account", "replaced"),
    [
        # State from before `account` was an input held the installing account as an output: own account.
        ({"account": "acct_own"}, None, False),
        ({"account": "acct_own"}, "acct_connected", True),
        ({"account": None, "installed_account": "acct_own"}, None, False),
        ({"account": None, "installed_account": "acct_own"}, "acct_connected", True),
        ({"account": "acct_connected", "installed_account": "acct_connected"}, "acct_connected", False),
        ({"account": "acct_connected", "installed_account": "acct_connected"}, None, True),
    ],
)
def test_moving_an_install_between_accounts_replaces_it(
    olds: dict[str, object], account: str | None, replaced: bool
) -> None:
    base = {"app": "app_1", "version": "1.0.0", "mode": "test", "distribution": "private"}
    result = AppInstallationProvider().diff("appinst_1", {**base, **olds}, {**base, "account": account})
    assert ("account" in (result.replaces or [])) is replaced


@pytest.mark.parametrize(
    ("news", "text"),
    [
        ({"account": "cus_123"}, "expected a connected account id like acct_"),
        ({"account": "acct_1", "mode": "sandbox"}, "a sandbox is its own environment"),
        ({"account": "acct_1", "mode": "live", "distribution": "public"}, "publishes the app from its own account"),
    ],
)
def test_connected_account_mistakes_fail_at_check(news: dict[str, str], text: str) -> None:
    provider = configured_install_provider(test="sk_test_1", sandbox="sk_test_2", live="sk_live_3")
    inputs = {"app": "app_1", "version": "1.0.0", "mode": "test", **news}
    failures = provider.check({}, inputs).failures
    assert [failure.property for failure in failures if failure.property == "account"] == ["account"]
    assert any(text in str(failure.reason) for failure in failures)


@pytest.mark.parametrize(
    ("news", "prop", "text"),
    [
        ({"code_challenge": "a-verifier-not-its-challenge-0123456789-abcdefghijkl"}, "code_challenge", "52 characters"),
        ({"code_challenge": CHALLENGE + "="}, "code_challenge", "without '=' padding"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "code_challenge_method", "only 'S256'"),
        ({"code_challenge_method": "S256"}, "code_challenge_method", "without code_challenge"),
        ({"code_challenge": CHALLENGE, "account": None}, "code_challenge", "set account='acct_...'"),
    ],
)
def test_pkce_mistakes_fail_at_check_naming_the_property_and_never_the_value(
    news: dict[str, Any], prop: str, text: str
) -> None:
    provider = configured_install_provider(test="sk_test_1")
    inputs = {"app": "app_1", "version": "1.0.0", "mode": "test", "account": "acct_1", **news}
    failures = provider.check({}, inputs).failures or []
    assert any(failure.property == prop and text in failure.reason for failure in failures), failures
    assert not any(
        str(news.get("code_challenge")) in failure.reason for failure in failures if news.get("code_challenge")
    )


def test_a_pkce_challenge_defaults_to_s256_and_unknown_values_wait_for_up() -> None:
    provider = configured_install_provider(test="sk_test_1")
    base = {"app": "app_1", "version": "1.0.0", "mode": "test", "account": "acct_1"}
    checked = provider.check({}, {**base, "code_challenge": CHALLENGE})
    assert checked.failures == [] and checked.inputs["code_challenge_method"] == "S256"
    assert provider.check({}, {**base, "code_challenge": UNKNOWN, "code_challenge_method": UNKNOWN}).failures == []
