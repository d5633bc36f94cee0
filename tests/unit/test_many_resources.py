"""Thousands of dynamic resources in one program: no RecursionError, and the serialized provider stays tiny.

Pulumi's `serialize_provider` wraps pickle's `_batch_setitems` once more on every call and never unwraps
it; before each of our resources undid that, ~900 resources in one program failed with RecursionError.
"""

from __future__ import annotations

import base64
import gc
import pickle
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_stripe_apps.resources.app_installation import AppInstallation, AppInstallationProvider
from pulumi_stripe_apps.resources.app_version import AppVersionProvider
from pulumi_stripe_apps.resources.base import restore_pickler

ORIGINAL = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def test_a_provider_pickles_as_its_class_alone() -> None:
    serialized = serialize_provider(AppVersionProvider())
    restored = dill.loads(base64.b64decode(serialized))
    assert type(restored) is AppVersionProvider
    assert len(serialized) < 200  # a reference to the class: no state, no key, no settings
    assert serialize_provider(AppVersionProvider()) == serialized  # deterministic: no diff from pickling


def test_restore_pickler_unwraps_the_sdks_wrappers() -> None:
    for _ in range(50):
        serialize_provider(AppVersionProvider())
    assert pickle._Pickler._batch_setitems is not ORIGINAL  # type: ignore[attr-defined]
    restore_pickler()
    assert pickle._Pickler._batch_setitems is ORIGINAL  # type: ignore[attr-defined]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_three_thousand_installs_in_one_program() -> None:
    """Declared in the task that runs the program, as the SDK runs one: no full collection until it ends."""
    before = gc.get_threshold()
    seen: dict[str, int] = {}

    @pulumi.runtime.test
    def program() -> None:
        full = gc.get_stats()[2]["collections"]
        installs = [
            AppInstallation(f"install-{index}", app="app_1", version="1.0.0", mode="test") for index in range(3000)
        ]
        seen["installs"], seen["full collections"] = len(installs), gc.get_stats()[2]["collections"] - full

    pulumi.runtime.set_mocks(Mocks(), preview=True)
    try:
        program()
    finally:
        pulumi.runtime.set_mocks(Mocks())
    assert seen == {"installs": 3000, "full collections": 0}
    assert gc.get_threshold() == before  # the program's end handed collections back
    assert pickle._Pickler._batch_setitems is ORIGINAL  # type: ignore[attr-defined]
    assert type(dill.loads(dill.dumps(AppInstallationProvider()))) is AppInstallationProvider
