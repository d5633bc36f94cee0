"""`make dist`'s decisions that need no build: the published npm manifest, the version checks, the archive's name."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from pulumi_stripe_apps import __version__

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dist(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))  # scripts/dist.py imports its sibling dist_go
    import dist as module  # noqa: PLC0415

    return module


def test_the_published_npm_package_compiles_nothing_at_install(dist: ModuleType) -> None:
    published = dist.packed_manifest(json.loads((ROOT / "sdk" / "nodejs" / "package.json").read_text()))
    assert "scripts" not in published
    assert (published["main"], published["types"], published["files"]) == ("bin/index.js", "bin/index.d.ts", ["bin/"])
    assert "typescript" not in published["dependencies"] and "@pulumi/pulumi" in published["dependencies"]
    assert published["pulumi"] == {"resource": True, "name": "stripe-apps", "version": __version__}


def test_every_file_stating_the_version_agrees(dist: ModuleType) -> None:
    dist.check_stamps(__version__)
    assert set(dist.stated_versions().values()) == {__version__}
    assert dist.pinned_versions() and set(dist.pinned_versions().values()) == {__version__}


def test_a_stale_file_stops_the_build_naming_it_and_the_fix(dist: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    stated = {"schema.json": "0.0.9", "sdk/nodejs/package.json": __version__}
    monkeypatch.setattr(dist, "stated_versions", lambda: stated)
    with pytest.raises(dist.DistError, match=r"schema\.json says 0\.0\.9: run `make schema sdk`"):
        dist.check_stamps(__version__)


def test_the_plugin_archive_is_named_as_pulumi_names_plugins(dist: ModuleType) -> None:
    assert dist.plugin_archive_name("1.2.3") == "pulumi-resource-stripe-apps-v1.2.3-linux-amd64.tar.gz"
