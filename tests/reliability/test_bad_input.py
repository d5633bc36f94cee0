"""Bad input: arbitrary manifests and arguments fail at preview naming a property, never with a traceback.

Both fuzzes run on both surfaces (the provider configured as for the emulator's full surface, and as for
Stripe's public surface, where `bundle_dir`, `ignore`, public distribution and a live install without its
version's access are refused at preview). The fuzz is seeded (SIZE.fuzz_seed, or STRIPE_APPS_FUZZ_SEED) and
prints its seed; examples that once failed are kept as `@example`s. Every case is counted whatever its
outcome, and the counts are kept even when a test fails."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from pulumi import automation as auto
from pulumi.dynamic import ConfigureRequest

from pulumi_stripe_apps import AppInstallation, AppVersion
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from pulumi_stripe_apps.resources.app_version import AppVersionProvider
from tests.reliability.conftest import Record, record_row
from tests.reliability.support import MODES, SIZE
from tests.support.apps import write_app
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks
from tests.support.surfaces import Surface

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

FUZZ_SEED = int(os.environ.get("STRIPE_APPS_FUZZ_SEED", SIZE.fuzz_seed))
# How the engine shows a CheckFailure: `error: [TYPE ]resource 'NAME': property PATH value {VALUE} has a problem:
# REASON`. VALUE is printed raw and may span lines (a newline in `mode`), so entries are found in the whole text.
CHECK_FAILURE = re.compile(r"error: (?:\S+ )?resource '([^'\n]*)': property (\S+) value \{")
HAS_A_PROBLEM = "} has a problem: "
ENGINE_FOLLOW_UPS = ("Resource monitor has terminated, shutting down", "preview failed", "update failed")


# -- in process: the providers' check() with many examples --------------------------------------------


CHECKED: dict[str, int] = {"cases": 0, "failures": 0}


@pytest.fixture(scope="module", autouse=True)
def _count_check_cases() -> Iterator[None]:
    """One row for the in-process fuzz, written after its tests whether they passed or not."""
    yield
    record_row("fuzz_check", seed=FUZZ_SEED, **CHECKED)


class _Counted:
    """Counts one in-process case, and a failure when its assertions fail (hypothesis's shrinking included)."""

    def __enter__(self) -> None:
        CHECKED["cases"] += 1

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            CHECKED["failures"] += 1


@pytest.fixture
def surface_settings(surface: Surface) -> dict[str, str]:
    """The provider's settings on `surface`, as the engine tests set them (BASE's manifest id has an app id)."""
    return surface.settings(app_ids=[BASE["id"]])


# The fixtures only supply fixed settings (check() makes no call), so every example shares them.
@seed(FUZZ_SEED)
@settings(
    max_examples=SIZE.fuzz_check_examples,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(manifest=manifests, ignore=ignores, bundle=st.sampled_from([None, "app", "missing"]))
@example(manifest=json.dumps(BASE), ignore=[], bundle=None)  # passes on both surfaces: the checked inputs hold
def test_app_version_check_never_raises_and_names_a_property(
    manifest: str,
    ignore: list[str],
    bundle: str | None,
    surface: Surface,
    surface_settings: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with _Counted():
        _check_app_version(manifest, ignore, bundle, surface, surface_settings, tmp_path_factory)


def _check_app_version(
    manifest: str,
    ignore: list[str],
    bundle: str | None,
    surface: Surface,
    surface_settings: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    app_dir = write_app(tmp_path_factory.mktemp("app"))
    (app_dir / "stripe-app.json").write_text(manifest)
    bundle_dir = {None: None, "app": str(app_dir), "missing": str(app_dir / "missing")}[bundle]
    news = {"app_dir": str(app_dir), "bundle_dir": bundle_dir, "ignore": ignore}
    provider = AppVersionProvider()
    provider.configure(cast(ConfigureRequest, _Configure(surface_settings)))
    result = provider.check({}, news)
    for failure in result.failures or []:
        assert isinstance(failure.property, str) and failure.property, failure
        assert isinstance(failure.reason, str) and failure.reason.strip(), failure
    failed = {failure.property for failure in result.failures or []}
    if surface.is_stripe:
        # The Stripe CLI packages the app directory by its own rules: both are refused at preview, never uploaded.
        assert {name for name, value in (("bundle_dir", bundle_dir), ("ignore", ignore)) if value} <= failed
    if manifest == json.dumps(BASE) and not bundle_dir and not ignore:
        assert not result.failures, result.failures
    if not result.failures:
        assert result.inputs["app_id"] == json.loads(manifest)["id"]
        if surface.is_stripe:  # the app object id comes from stripe-apps:appIds
            app_ids = json.loads(surface_settings["stripe-apps:appIds"])
            assert result.inputs["app"] == app_ids.get(result.inputs["app_id"]), result.inputs


keys = st.sampled_from(["sk_test_" + "a" * 24, "rk_live_" + "b" * 24, "pk_test_" + "c" * 24, ""]) | st.text(max_size=30)


@seed(FUZZ_SEED)
@settings(
    max_examples=SIZE.fuzz_check_examples,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(app=apps, version=versions, mode=modes, distribution=distributions, key=keys, old_distribution=distributions)
def test_app_installation_check_never_raises_and_never_shows_the_key(
    *,
    app: str | None,
    version: str | None,
    mode: str,
    distribution: str,
    key: str,
    old_distribution: str,
    surface: Surface,
    surface_settings: dict[str, str],
) -> None:
    with _Counted():
        _check_app_installation(app, version, mode, distribution, key, old_distribution, surface, surface_settings)


def _check_app_installation(
    app: str | None,
    version: str | None,
    mode: str,
    distribution: str,
    key: str,
    old_distribution: str,
    surface: Surface,
    surface_settings: dict[str, str],
) -> None:
    provider = AppInstallationProvider()
    provider.configure(cast(ConfigureRequest, _Configure({**surface_settings, **dict.fromkeys(_KEY_CONFIG, key)})))
    news = {"app": app, "version": version, "mode": mode, "distribution": distribution}
    result = provider.check({"distribution": old_distribution}, news)
    for failure in result.failures or []:
        assert failure.property in ("app", "version", "mode", "distribution", "requested_access"), failure
        assert failure.reason.strip(), failure
        if failure.property == "mode" and len(key) >= 16:
            assert key[8:] not in failure.reason, failure  # a key's secret part never reaches a message
    failed = {failure.property for failure in result.failures or []}
    if surface.is_stripe:
        # Refused on Stripe at preview: Marketplace review has no public API, and a live install's permission
        # gate needs the version's access (no Version History to read it from).
        if distribution == "public":
            assert "distribution" in failed, result.failures
        if mode == "live":
            assert "requested_access" in failed, result.failures
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


def problems(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(property, reason) of each CheckFailure the engine printed, and every other error it printed.

    Read from the Diagnostics section (the progress lines above it repeat the same errors, cut short).
    A CheckFailure runs from `error: ... resource 'NAME': property PATH value {` to the first
    `} has a problem: ` after it, whatever lines the value spans; its reason is the rest of that line.
    """
    diagnostics = text.split("Diagnostics:", 1)[-1].split("\nResources:", 1)[0]
    found, spans = [], []
    for match in CHECK_FAILURE.finditer(diagnostics):
        if spans and match.start() < spans[-1][1]:
            continue  # inside the previous failure's value
        end = diagnostics.find(HAS_A_PROBLEM, match.end())
        if end < 0:
            continue
        line_end = diagnostics.find("\n", end)
        line_end = len(diagnostics) if line_end < 0 else line_end
        found.append((match.group(2), diagnostics[end + len(HAS_A_PROBLEM) : line_end].strip()))
        spans.append((match.start(), line_end))
    others = []
    for match in re.finditer(r"error: ", diagnostics):
        if any(start <= match.start() < stop for start, stop in spans):
            continue
        line_end = diagnostics.find("\n", match.end())
        message = diagnostics[match.end() : len(diagnostics) if line_end < 0 else line_end].strip()
        if not any(follow in message for follow in ENGINE_FOLLOW_UPS):
            others.append(message)
    return found, others


@pytest.mark.slow
@pytest.mark.e2e
def test_preview_of_arbitrary_input_passes_or_names_a_property(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, record: Record
) -> None:
    print(f"fuzz seed {FUZZ_SEED} (STRIPE_APPS_FUZZ_SEED={FUZZ_SEED} reproduces this run)")
    outcomes = {"cases": 0, "passed": 0, "check_failures": 0, "wrong_reports": 0, "tracebacks": 0}
    stack = engine.inline_stack(lambda: None, config=surface.config(app_ids=[BASE["id"]]))
    app_dir = write_app(tmp_path / "fuzz-app")

    @seed(FUZZ_SEED)
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
    # Failing examples found before, kept as regression cases (a full run drew mode="\n": the engine printed
    # the value across two lines and the parser lost the property).
    @example(manifest=json.dumps(BASE), ignore=[], app=None, version=None, mode="\n", distribution="private")
    @example(manifest=json.dumps(BASE), ignore=["\n"], app="a\nb", version="\x85", mode="te\nst", distribution="\n}")
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
        outcomes["cases"] += 1
        try:
            stack.preview()
        except auto.CommandError as error:
            text = str(error)
            found, others = problems(text)
            traced = bool(stray_tracebacks(text))
            right = found and not others and not traced and all(reason for _, reason in found)
            outcomes["tracebacks"] += traced
            outcomes["check_failures" if right else "wrong_reports"] += 1
            assert right, text
        else:
            outcomes["passed"] += 1

    try:
        preview()
    finally:
        record("fuzz_engine", seed=FUZZ_SEED, surface=surface.name, **outcomes)
    assert outcomes["wrong_reports"] == 0
    # Preview changes nothing, whatever the input: no API write, and on Stripe's surface no CLI upload either
    # (the CLI's requests reach the emulator's internal address and are logged too).
    writes = [
        f"{entry['method']} {entry['path']}"
        for entry in surface.control.requests()
        if entry["path"].startswith("/v1/") and entry["method"] != "GET"
    ]
    assert writes == []
