"""`npm ci` for a Node.js project of this repository, skipped while its node_modules is current.

Current means installed from the same package.json, package-lock.json and .npmrc, and the same contents of
its `file:` dependencies (the local SDK, sdk/nodejs, which npm installs as a copy: see the project's .npmrc).
npm's package cache lives under the cache root beside the engine (~/.cache/pulumi-stripe-apps/npm), so
another clone, or a reinstall after `make sdk`, needs the registry only for packages it has never fetched.

    python -m stripe_apps_devtools.npm examples/typescript
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path

STAMP = ".stripe-apps-installed"
MANIFESTS = ("package.json", "package-lock.json", ".npmrc")
SKIPPED_DIRS = frozenset({"node_modules", "bin"})  # what an install or a build adds to a local package
TAIL_LINES = 30


def cache_root() -> Path:
    """The same root as scripts/ensure-engine.sh: STRIPE_APPS_CACHE, else $XDG_CACHE_HOME or ~/.cache."""
    explicit = os.environ.get("STRIPE_APPS_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pulumi-stripe-apps"


def _local_packages(project: Path) -> list[Path]:
    manifest = json.loads((project / "package.json").read_text())
    specs = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
    return sorted(
        (project / spec.removeprefix("file:")).resolve() for spec in specs.values() if spec.startswith("file:")
    )


def fingerprint(project: Path) -> str:
    """A digest of everything `npm ci` installs from, the registry's immutable packages aside."""
    digest = hashlib.sha256()
    for name in MANIFESTS:
        path = project / name
        digest.update(f"{name}\0".encode() + (path.read_bytes() if path.is_file() else b"") + b"\0")
    for package in _local_packages(project):
        for path in sorted(package.rglob("*")):
            relative = path.relative_to(package)
            if path.is_file() and not SKIPPED_DIRS.intersection(relative.parts):
                digest.update(f"{package.name}/{relative.as_posix()}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure(project: Path) -> Path:
    """Installs project's packages unless they are current; returns its node_modules."""
    node_modules = project / "node_modules"
    wanted = fingerprint(project)
    stamp = node_modules / STAMP
    if stamp.is_file() and stamp.read_text() == wanted:
        return node_modules
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed for the Node.js examples (Node 20 with npm) and none is on PATH")
    cache = cache_root() / "npm"
    print(f"npm: installing the packages of {project} (npm ci; cache: {cache})", file=sys.stderr, flush=True)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=project,
        env={**os.environ, "npm_config_cache": str(cache)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "".join(f"  | {line}\n" for line in deque((done.stdout + done.stderr).splitlines(), maxlen=TAIL_LINES))
        raise SystemExit(f"npm ci in {project} exited with status {done.returncode}; its last lines:\n{tail}")
    for package in _local_packages(project):
        _check_built(node_modules, package)
    stamp.write_text(wanted)
    return node_modules


def _check_built(node_modules: Path, package: Path) -> None:
    """A local SDK is compiled by its postinstall; npm versions that skip dependencies' scripts leave it unbuilt."""
    manifest = json.loads((package / "package.json").read_text())
    main = node_modules / manifest["name"] / manifest.get("main", "index.js")
    if not main.is_file():
        raise SystemExit(
            f"npm ci installed {manifest['name']} without {main.name} (its postinstall compiles it): "
            f"run `npm rebuild {manifest['name']}` in {node_modules.parent}, or allow its install script"
        )


def main() -> None:
    for project in sys.argv[1:] or ["."]:
        ensure(Path(project).resolve())


if __name__ == "__main__":
    main()
