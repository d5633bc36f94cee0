"""A Go user: the SDK module resolved from the release's goproxy/ before their usual Go proxy, the program from the
README, built by `pulumi up` with the Go on this machine."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import readme_install
from tests.support.consumer import Artifacts, UserMachine, lifecycle, readme_project
from tests.support.surfaces import Surface

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
APP = Path(__file__).resolve().parents[2] / "examples" / "yaml" / "app"
SDK_MODULE = "github.com/pulumi-stripe-apps/pulumi-stripe-apps/sdk"


def go_installation() -> dict[str, str]:
    """The Go this machine has, as its user's shell would give it: `go` on PATH, their Go settings (GOENV), and Go's
    shared build and module caches, so a program's dependencies are compiled once for every test and session."""
    go = shutil.which("go")
    assert go is not None, "the Go consumer test needs `go` on PATH"
    settings = json.loads(
        subprocess.run(
            [go, "env", "-json", "GOENV", "GOCACHE", "GOMODCACHE"], capture_output=True, text=True, check=True
        ).stdout
    )
    return {"GO_BIN": str(Path(go).resolve().parent), **settings}


def forget_cached_sdk(module_cache: Path) -> None:
    """Drops earlier downloads of the SDK module from the shared module cache: a release has one version, and a copy
    of that version cached from an older build would be used instead of the goproxy/ being tested."""
    for cached in (
        module_cache / SDK_MODULE.rsplit("/", 1)[0],
        module_cache / "cache" / "download" / SDK_MODULE.rsplit("/", 1)[0],
    ):
        if cached.exists():
            subprocess.run(["chmod", "-R", "u+w", str(cached)], check=True)  # the module cache is read-only
            shutil.rmtree(cached)


def go_user(machine: UserMachine) -> UserMachine:
    """machine, with this machine's Go installation on its PATH; the SDK module is fetched afresh."""
    go = go_installation()
    forget_cached_sdk(Path(go["GOMODCACHE"]))
    path = os.pathsep.join((str(machine.engine_bin), go["GO_BIN"], *machine.env()["PATH"].split(os.pathsep)[1:]))
    return dataclasses.replace(
        machine,
        variables={"PATH": path, "GOENV": go["GOENV"], "GOCACHE": go["GOCACHE"], "GOMODCACHE": go["GOMODCACHE"]},
    )


def test_go_user(user_machine: UserMachine, artifacts: Artifacts, consumer_surface: Surface) -> None:
    machine = go_user(user_machine)
    project = readme_project(machine, artifacts, "go", f"go-{consumer_surface.name}", APP)
    assert f"{SDK_MODULE} v{artifacts.version}" in (project / "go.mod").read_text()
    lifecycle(machine, project, consumer_surface, "installId")


def test_go_user_without_the_module(fresh_machine: UserMachine, artifacts: Artifacts, tmp_path: Path) -> None:
    """A release without goproxy/: the README's `go get` fails naming the module and version it cannot find."""
    release = tmp_path / "release"
    shutil.copytree(artifacts.directory, release, ignore=shutil.ignore_patterns("goproxy"))
    machine = go_user(fresh_machine)
    project = machine.home / "go-without-module"
    project.mkdir()
    steps = readme_install.steps("go")
    for step in steps:
        if step.kind == "file":
            (project / step.name).write_text(step.text)
    (get,) = [step for step in steps if step.kind == "run"]
    failed = machine.run(get.text, project, {"DIST": str(release)}, ok=False)
    assert failed.returncode != 0
    # go reports the last proxy it asked (the usual one, which has never seen the module): module, version and why.
    assert f"{SDK_MODULE}@v{artifacts.version}" in failed.stderr and "not available" in failed.stderr, failed.stderr
    assert not (project / "go.sum").exists()
