"""The committed SDKs (sdk/nodejs, sdk/go) are what `make sdk` generates from schema.json, and the Go one compiles.

They need Go (scripts/gen_sdk is built once and cached by scripts/ensure-gen-sdk.sh), not the engine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
# What each language's SDK is under sdk/: its directory and, for Go, the module's go.mod above it (sdk/go.mod: the
# module is sdk/, as in a provider repository, its package sdk/go/stripeapps).
SDK_PARTS = {"nodejs": ("nodejs",), "go": ("go", "go.mod")}
# What installing or building an SDK in place adds (the generated .gitignore names them).
UNTRACKED_DIRS = frozenset({"node_modules", "bin"})


def gen_sdk() -> Path:
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure-gen-sdk.sh")], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, f"scripts/ensure-gen-sdk.sh failed:\n{built.stderr}"
    return Path(built.stdout.strip())


def tree(root: Path, parts: tuple[str, ...]) -> dict[str, bytes]:
    found = {}
    for part in parts:
        top = root / part
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if path.is_file() and not UNTRACKED_DIRS.intersection(path.relative_to(root).parts):
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdk")
    done = subprocess.run(
        [str(gen_sdk()), "-schema", str(ROOT / "schema.json"), "-out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"gen_sdk failed:\n{done.stderr}"
    return out


@pytest.mark.parametrize("language", SDK_PARTS)
def test_committed_sdk_is_current(generated: Path, language: str) -> None:
    fresh, committed = tree(generated, SDK_PARTS[language]), tree(SDK, SDK_PARTS[language])
    assert fresh, f"gen_sdk wrote no {language} SDK"
    stale = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not stale, f"sdk/ differs from schema.json's {language} SDK in {stale}: run `make sdk` and commit sdk/"


def test_generated_go_sdk_compiles(tmp_path: Path) -> None:
    """A program declaring both resources builds against sdk/go (with the sdk/v3 the CLI is built from)."""
    module = tmp_path / "consumer"
    module.mkdir()
    sdk_module = (SDK / "go.mod").read_text().split()[1]
    (module / "go.mod").write_text(
        "module consumer\n\ngo 1.26\n\n"
        f"require (\n\t{sdk_module} v0.0.0\n\tgithub.com/pulumi/pulumi/sdk/v3 v3.274.1\n)\n\n"
        f"replace {sdk_module} => {SDK}\n"
    )
    (module / "main.go").write_text(
        "package main\n\n"
        "import (\n"
        f'\t"{sdk_module}/go/stripeapps"\n'
        '\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n'
        ")\n\n"
        "func main() {\n"
        "\tpulumi.Run(func(ctx *pulumi.Context) error {\n"
        '\t\tversion, err := stripeapps.NewAppVersion(ctx, "billing", &stripeapps.AppVersionArgs{\n'
        '\t\t\tAppDir: pulumi.String("app"),\n'
        "\t\t})\n"
        "\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n"
        '\t\t_, err = stripeapps.NewAppInstallation(ctx, "billing-test", &stripeapps.AppInstallationArgs{\n'
        "\t\t\tApp: version.App, Version: version.Version, Mode: stripeapps.ModeTest,\n"
        "\t\t})\n"
        '\t\tctx.Export("fingerprint", version.Fingerprint)\n'
        "\t\treturn err\n"
        "\t})\n"
        "}\n"
    )
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    # A plain `go build`, as the Go language host runs it: the programs of the plan and consumer tests, with the same
    # dependencies, then reuse what this one compiled from Go's build cache.
    for args in (["mod", "tidy"], ["build", "-o", os.devnull, "."]):
        done = subprocess.run(["go", *args], cwd=module, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"go {' '.join(args)} failed:\n{done.stderr[-4000:]}"
