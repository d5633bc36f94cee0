"""What a user sees when the plugin archive is missing or broken: the install names the file and why, nothing is
left half-installed, and a program that needs the plugin says which one is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.consumer import Artifacts, UserMachine, readme_project

pytestmark = [pytest.mark.e2e]
APP = Path(__file__).resolve().parents[2] / "examples" / "yaml" / "app"


def without_plugin_archive(artifacts: Artifacts, directory: Path) -> Artifacts:
    """The release directory with the plugin archive removed."""
    shutil.copytree(artifacts.directory, directory)
    (directory / artifacts.plugin_archive.name).unlink()
    return Artifacts(directory, artifacts.version)


def plugin_listing(machine: UserMachine) -> str:
    return machine.pulumi("plugin", "ls", cwd=machine.home).stdout


def test_missing_plugin_archive(fresh_machine: UserMachine, artifacts: Artifacts, tmp_path: Path) -> None:
    release = without_plugin_archive(artifacts, tmp_path / "release")
    refused = fresh_machine.install_plugin(release, ok=False)
    assert refused.returncode != 0
    assert release.plugin_archive.name in refused.stderr and "no such file or directory" in refused.stderr, (
        refused.stderr
    )
    assert "stripe-apps" not in plugin_listing(fresh_machine)
    # The README's YAML program, run without the plugin: the engine names the plugin and version it lacks.
    project = readme_project(fresh_machine, release, "yaml", "yaml-without-plugin", APP)
    fresh_machine.pulumi("stack", "init", "dev", cwd=project, env=fresh_machine.backend_of(project))
    failed = fresh_machine.pulumi("up", "--yes", cwd=project, env=fresh_machine.backend_of(project), ok=False)
    assert failed.returncode != 0
    assert "stripe-apps" in failed.stdout + failed.stderr and "plugin" in failed.stdout + failed.stderr, (
        failed.stdout + failed.stderr
    )


def test_truncated_plugin_archive(fresh_machine: UserMachine, artifacts: Artifacts, tmp_path: Path) -> None:
    release = without_plugin_archive(artifacts, tmp_path / "release")
    data = artifacts.plugin_archive.read_bytes()
    release.plugin_archive.write_bytes(data[: len(data) // 2])
    refused = fresh_machine.install_plugin(release, ok=False)
    assert refused.returncode != 0
    assert release.plugin_archive.name in refused.stderr and "unexpected EOF" in refused.stderr, refused.stderr
    assert "stripe-apps" not in plugin_listing(fresh_machine)
