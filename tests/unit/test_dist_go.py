"""`make dist-go`: the Go SDK module in a module proxy's file layout, which `go` itself downloads and verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from pulumi_stripe_apps import __version__

ROOT = Path(__file__).resolve().parents[2]
MODULE = "github.com/pulumi-stripe-apps/pulumi-stripe-apps/sdk"


def test_go_downloads_the_sdk_module_from_the_file_proxy(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dist_go.py"), "--out", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    proxy = tmp_path / "dist" / "goproxy"
    versions = proxy / MODULE / "@v"
    tag = f"v{__version__}"
    assert (versions / "list").read_text() == f"{tag}\n"
    assert json.loads((versions / f"{tag}.info").read_text())["Version"] == tag
    assert (versions / f"{tag}.mod").read_bytes() == (ROOT / "sdk" / "go.mod").read_bytes()
    names = zipfile.ZipFile(versions / f"{tag}.zip").namelist()
    assert f"{MODULE}@{tag}/go/stripeapps/pulumi-plugin.json" in names
    assert all(name.startswith(f"{MODULE}@{tag}/") for name in names)

    # Only this module is asked for, from the file proxy alone: no network, nothing else resolved.
    env = {
        **os.environ,
        "GOPROXY": proxy.as_uri(),
        "GONOSUMDB": "github.com/pulumi-stripe-apps",
        "GOFLAGS": "-mod=mod -modcacherw",  # a module cache pytest can remove
        "GOMODCACHE": str(tmp_path / "modcache"),
        "GOTOOLCHAIN": "local",
    }
    downloaded = subprocess.run(
        ["go", "mod", "download", "-json", f"{MODULE}@{tag}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    module = json.loads(downloaded.stdout)
    assert module["Version"] == tag and module["Sum"].startswith("h1:")
    plugin = json.loads(Path(module["Dir"], "go", "stripeapps", "pulumi-plugin.json").read_text())
    assert plugin == {"resource": True, "name": "stripe-apps", "version": __version__}
