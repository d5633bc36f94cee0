"""`make dist`: the release artifacts, each stamped with the one version in provider/pulumi_stripe_apps/__init__.py.

    python scripts/dist.py [--out dist]

- `pulumi_stripe_apps-VERSION.tar.gz` and `pulumi_stripe_apps-VERSION-py3-none-any.whl` (the wheel is built from the
  sdist, so the sdist is proven complete). Both carry the provider and the emulator package; the emulator's server
  dependencies are the `[emulator]` extra, so a program's install stays small and the emulator a user starts is the
  same release as the provider it emulates for.
- `pulumi-resource-stripe-apps-vVERSION-linux-amd64.tar.gz`: a plugin directory (packaging/plugin: PulumiPlugin.yaml,
  `runtime: python`, its `__main__.py`) with the wheel and a requirements.txt naming it, for
  `pulumi plugin install resource stripe-apps VERSION --file ARCHIVE`.
- `pulumi-stripe-apps-VERSION.tgz`: the npm package of sdk/nodejs, compiled (JavaScript and .d.ts in `bin/`) with
  no install-time script, its `pulumi` metadata naming the plugin and version.
- `goproxy/`: the Go SDK module at vVERSION in a Go module proxy's file layout (scripts/dist_go.py, `make dist-go`).

Every file that states the version (schema.json and what `make sdk` generates from it) is checked first: a stale one
stops the build with the command that regenerates it.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from dist_go import build_goproxy

from pulumi_stripe_apps import __version__
from stripe_apps_devtools import npm

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_NAME = "stripe-apps"
PLUGIN_FILES = ROOT / "packaging" / "plugin"
NODE_SDK = ROOT / "sdk" / "nodejs"
# The TypeScript example's installed packages compile the SDK (typescript, @types/node, @pulumi/pulumi).
NODE_TOOLCHAIN = ROOT / "examples" / "typescript"


class DistError(Exception):
    """A release that cannot be built as asked; the message says what to do."""


def stated_versions() -> dict[str, str]:
    """Each generated file that states the release's version, and the version it states."""
    package = json.loads((NODE_SDK / "package.json").read_text())
    return {
        "schema.json": json.loads((ROOT / "schema.json").read_text())["version"],
        "sdk/nodejs/package.json (version)": package["version"],
        "sdk/nodejs/package.json (pulumi.version)": package["pulumi"]["version"],
        "sdk/go/stripeapps/pulumi-plugin.json": json.loads(
            (ROOT / "sdk" / "go" / "stripeapps" / "pulumi-plugin.json").read_text()
        )["version"],
        "provider/pulumi_stripe_apps/policy/PulumiPolicy.yaml": _yaml_version(
            ROOT / "provider" / "pulumi_stripe_apps" / "policy" / "PulumiPolicy.yaml"
        ),
    }


def pinned_versions() -> dict[str, str]:
    """The examples' and templates' requirements, each pinning this package (`pulumi-stripe-apps==VERSION`)."""
    pins = {}
    for requirements in sorted([*ROOT.glob("examples/*/requirements.txt"), *ROOT.glob("templates/*/requirements.txt")]):
        for line in requirements.read_text().splitlines():
            name, _, version = line.partition("==")
            if name.strip() == "pulumi-stripe-apps":
                pins[str(requirements.relative_to(ROOT))] = version.strip()
    return pins


def _yaml_version(path: Path) -> str:
    """The top-level `version:` of a Pulumi YAML file (one line; no YAML parser needed)."""
    for line in path.read_text().splitlines():
        if line.startswith("version:"):
            return line.partition(":")[2].strip()
    return "(none)"


def check_stamps(version: str) -> None:
    stale = {name: stated for name, stated in stated_versions().items() if stated != version}
    if stale:
        listed = ", ".join(f"{name} says {stated}" for name, stated in stale.items())
        raise DistError(f"the version is {version} but {listed}: run `make schema sdk` and commit the result")
    unpinned = {name: pinned for name, pinned in pinned_versions().items() if pinned != version}
    if unpinned:
        listed = ", ".join(f"{name} pins {pinned}" for name, pinned in unpinned.items())
        raise DistError(f"the version is {version} but {listed}: pin pulumi-stripe-apps=={version} there")


def plugin_archive_name(version: str) -> str:
    return f"pulumi-resource-{PLUGIN_NAME}-v{version}-linux-amd64.tar.gz"


def run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DistError(f"`{' '.join(command)}` in {cwd} exited with {done.returncode}:\n{done.stdout}{done.stderr}")


def build_python(out: Path, version: str) -> Path:
    """The sdist, then the wheel from it; returns the wheel."""
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)], cwd=ROOT)
    wheel = out / f"pulumi_stripe_apps-{version}-py3-none-any.whl"
    if not wheel.is_file() or not (out / f"pulumi_stripe_apps-{version}.tar.gz").is_file():
        raise DistError(f"the Python build did not produce the {version} wheel and sdist in {out}")
    return wheel


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def build_plugin(out: Path, wheel: Path, version: str) -> Path:
    """The plugin directory as a tarball: its files at the root, as `pulumi plugin install` unpacks them."""
    archive_path = out / plugin_archive_name(version)
    with tarfile.open(archive_path, "w:gz") as archive:
        for path in sorted(PLUGIN_FILES.iterdir()):
            if path.is_file():
                _add_bytes(archive, path.name, path.read_bytes())
        archive.add(wheel, arcname=wheel.name)
        # A path, so pip installs the wheel beside it (the host installs from the plugin's directory).
        _add_bytes(archive, "requirements.txt", f"./{wheel.name}\n".encode())
    return archive_path


def packed_manifest(manifest: dict[str, object]) -> dict[str, object]:
    """package.json as published: compiled code in bin/, nothing compiled at install, no build tools required."""
    scripts = manifest.get("scripts")
    dependencies = manifest.get("dependencies")
    assert isinstance(scripts, dict) and isinstance(dependencies, dict)
    published = {key: value for key, value in manifest.items() if key != "scripts"}
    published["main"] = "bin/index.js"
    published["types"] = "bin/index.d.ts"
    published["files"] = ["bin/"]
    published["dependencies"] = {name: spec for name, spec in dependencies.items() if name != "typescript"}
    return published


def build_npm(out: Path, version: str) -> Path:
    """sdk/nodejs compiled in a scratch copy and packed with `npm pack`."""
    node_modules = npm.ensure(NODE_TOOLCHAIN)
    with tempfile.TemporaryDirectory(prefix="stripe-apps-npm-") as scratch:
        stage = Path(scratch) / "package"
        shutil.copytree(NODE_SDK, stage, ignore=shutil.ignore_patterns("node_modules", "bin", "scripts"))
        (stage / "node_modules").symlink_to(node_modules, target_is_directory=True)
        run([str(node_modules / ".bin" / "tsc")], cwd=stage)
        manifest = packed_manifest(json.loads((stage / "package.json").read_text()))
        text = json.dumps(manifest, indent=4) + "\n"
        (stage / "package.json").write_text(text)
        (stage / "bin" / "package.json").write_text(text)  # utilities.ts reads the version beside itself
        (stage / "node_modules").unlink()
        run(["npm", "pack", "--pack-destination", str(out.resolve())], cwd=stage)
    tarball = out / f"pulumi-stripe-apps-{version}.tgz"
    if not tarball.is_file():
        raise DistError(f"npm pack did not write {tarball.name} into {out}")
    return tarball


def build(out: Path) -> list[Path]:
    version = __version__
    check_stamps(version)
    out.mkdir(parents=True, exist_ok=True)
    wheel = build_python(out, version)
    return [
        out / f"pulumi_stripe_apps-{version}.tar.gz",
        wheel,
        build_plugin(out, wheel, version),
        build_npm(out, version),
        build_goproxy(out, version),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    try:
        artifacts = build(args.out)
    except DistError as error:
        raise SystemExit(f"make dist: {error}") from None
    for artifact in artifacts:
        print(artifact)


if __name__ == "__main__":
    main()
