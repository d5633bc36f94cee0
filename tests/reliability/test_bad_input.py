"""Bad input: arbitrary manifests and arguments fail at preview naming a property, never with a traceback;
API refusals (wrong key type, revoked key, missing permission, unknown app) say what to do."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi import automation as auto
from pulumi.dynamic import ConfigureRequest

from pulumi_stripe_apps import AppInstallation, AppVersion
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from pulumi_stripe_apps.resources.app_version import AppVersionProvider
from stripe_apps_emulator.testing import RunningEmulator
from tests.reliability.conftest import Record, record_row
from tests.reliability.support import MODES, SIZE, config
from tests.support.apps import write_app
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks

BASE: dict[str, Any] = {
    "id": "com.example.fuzz",
    "version": "1.0.0",
    "name": "Fuzz",
    "icon": "./icon.png",
    "permissions": [{"permission": "customer_read", "purpose": "Reads customers"}],
    "ui_extension": {"views": [{"viewport": "stripe.dashboard.customer.detail", "component": "View"}]},
    "distribution_type": "private",
    "sandbox_install_compatible": True,
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


def _mutate(drop: set[str], extra: dict[str, Any], deep: tuple[str, Any] | None) -> dict[str, Any]:
    data = {key: value for key, value in copy.deepcopy(BASE).items() if key not in drop}
    data.update(extra)
    if deep is not None and isinstance(data.get("ui_extension"), dict):
        data["ui_extension"]["views"] = [{"viewport": deep[1], "component": "View"}] if deep[0] == "view" else deep[1]
    if deep is not None and deep[0] == "permission" and isinstance(data.get("permissions"), list):
        data["permissions"] = [{"permission": deep[1], "purpose": "x"}]
    return data


manifests = st.one_of(
    st.builds(
        _mutate,
        st.sets(st.sampled_from(list(BASE)), max_size=3),
        st.dictionaries(st.sampled_from([*BASE, "constants", "post_install_action", "extensions"]), json_values,
                        max_size=3),
        st.none() | st.tuples(st.sampled_from(["view", "views", "permission"]), json_values),
    ),
    json_values,
).map(json.dumps) | st.text(max_size=40)  # fmt: skip
modes = st.sampled_from(MODES) | st.text(max_size=10)
distributions = st.sampled_from(("private", "public")) | st.text(max_size=10)
ignores = st.lists(st.text(max_size=10) | st.sampled_from(["[", "**", "!src", "\\", "src/**/x", "*.{a,b}"]), max_size=4)
apps = st.none() | st.text(max_size=20) | st.builds(lambda s: "app_" + s, st.text(max_size=10))
versions = st.none() | st.text(max_size=10)

# `resource 'NAME': property PATH value ... has a problem: REASON` is how the engine shows a CheckFailure.
PROPERTY_FAILURE = re.compile(r"resource '[^']+': property (\S+) value .* has a problem: (.+)")
ENGINE_FOLLOW_UPS = ("Resource monitor has terminated, shutting down", "preview failed")


# -- in process: the providers' check() with many examples --------------------------------------------


CHECKED: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _count_check_cases() -> Iterator[None]:
    yield
    if CHECKED:
        record_row("fuzz_check", cases=len(CHECKED), tracebacks=0)


@settings(max_examples=SIZE.fuzz_check_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest=manifests, ignore=ignores, bundle=st.sampled_from([None, "app", "missing"]))
def test_app_version_check_never_raises_and_names_a_property(
    manifest: str, ignore: list[str], bundle: str | None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app_dir = write_app(tmp_path_factory.mktemp("app"))
    (app_dir / "stripe-app.json").write_text(manifest)
    bundle_dir = {None: None, "app": str(app_dir), "missing": str(app_dir / "missing")}[bundle]
    news = {"app_dir": str(app_dir), "bundle_dir": bundle_dir, "ignore": ignore}
    result = AppVersionProvider().check({}, news)
    CHECKED.append("AppVersion")
    for failure in result.failures or []:
        assert isinstance(failure.property, str) and failure.property, failure
        assert isinstance(failure.reason, str) and failure.reason.strip(), failure
    if not result.failures:
        assert result.inputs["app_id"] == json.loads(manifest)["id"]


keys = st.sampled_from(["sk_test_" + "a" * 24, "rk_live_" + "b" * 24, "pk_test_" + "c" * 24, ""]) | st.text(max_size=30)


@settings(max_examples=SIZE.fuzz_check_examples, deadline=None)
@given(app=apps, version=versions, mode=modes, distribution=distributions, key=keys, old_distribution=distributions)
def test_app_installation_check_never_raises_and_never_shows_the_key(
    *, app: str | None, version: str | None, mode: str, distribution: str, key: str, old_distribution: str
) -> None:
    provider = AppInstallationProvider()
    provider.configure(cast(ConfigureRequest, _Configure(dict.fromkeys(_KEY_CONFIG, key))))
    news = {"app": app, "version": version, "mode": mode, "distribution": distribution}
    result = provider.check({"distribution": old_distribution}, news)
    CHECKED.append("AppInstallation")
    for failure in result.failures or []:
        assert failure.property in ("app", "version", "mode", "distribution", "requested_access"), failure
        assert failure.reason.strip(), failure
        if failure.property == "mode" and len(key) >= 16:
            assert key[8:] not in failure.reason, failure  # a key's secret part never reaches a message
    assert bool(result.failures) or (mode in MODES and isinstance(app, str) and app.startswith("app_"))


_KEY_CONFIG = ("stripe-apps:testApiKey", "stripe-apps:sandboxApiKey", "stripe-apps:liveApiKey")


class _Config:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, key: str) -> str | None:
        return self._values.get(key)


class _Configure:
    """The one attribute of `ConfigureRequest` the providers read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.config = _Config(values)


# -- through the engine: `pulumi preview` of arbitrary input ------------------------------------------


def _problems(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(property, reason) of each CheckFailure the engine printed, and any other error line."""
    found, others = [], []
    for line in text.split("\n"):  # the engine's lines; not splitlines(), which also breaks at U+0085 in a value
        _, marker, message = line.partition("error: ")
        if not marker:
            continue
        match = PROPERTY_FAILURE.search(message)
        if match:
            found.append((match.group(1), match.group(2)))
        elif not any(follow in message for follow in ENGINE_FOLLOW_UPS):
            others.append(message)
    return found, others


@pytest.mark.slow
@pytest.mark.e2e
def test_preview_of_arbitrary_input_passes_or_names_a_property(
    engine: EngineSandbox, emulator: RunningEmulator, tmp_path: Path, record: Record
) -> None:
    outcomes = {"passed": 0, "check_failures": 0, "tracebacks": 0, "other_errors": 0}
    stack = engine.inline_stack(lambda: None, config=config(emulator))
    app_dir = write_app(tmp_path / "fuzz-app")

    @settings(
        max_examples=SIZE.fuzz_engine_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        manifest=manifests,
        ignore=ignores,
        app=st.none() | st.text(max_size=12),
        version=st.none() | st.text(max_size=8),
        mode=modes,
        distribution=distributions,
    )
    def preview(
        *, manifest: str, ignore: list[str], app: str | None, version: str | None, mode: str, distribution: str
    ) -> None:
        (app_dir / "stripe-app.json").write_text(manifest)

        def run() -> None:
            uploaded = AppVersion("fuzz", app_dir=str(app_dir), ignore=ignore)
            AppInstallation(
                "fuzz-install",
                app=uploaded.app if app is None else app,
                version=uploaded.version if version is None else version,
                mode=mode,
                distribution=distribution,
            )

        stack.workspace.program = run
        try:
            stack.preview()
        except auto.CommandError as error:
            text = str(error)
            problems, others = _problems(text)
            outcomes["tracebacks"] += bool(stray_tracebacks(text))
            outcomes["other_errors"] += bool(others)
            outcomes["check_failures"] += 1
            assert stray_tracebacks(text) == [], text
            assert problems and not others, text
            assert all(reason.strip() for _, reason in problems)
        else:
            outcomes["passed"] += 1

    preview()
    record("fuzz_engine", cases=outcomes["passed"] + outcomes["check_failures"], **outcomes)
    assert outcomes["passed"] + outcomes["check_failures"] == SIZE.fuzz_engine_examples
