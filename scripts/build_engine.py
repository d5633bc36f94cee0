#!/usr/bin/env python3
"""Builds the Pulumi CLI from the Go module proxy and installs the Python program executor.

`go install pkg@version` refuses modules whose go.mod has `replace` lines, so the CLI is built
from a small wrapper module that requires the published modules and copies their non-local
`replace` lines. Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

PULUMI = "github.com/pulumi/pulumi"
PKG = f"{PULUMI}/pkg/v3"
SDK = f"{PULUMI}/sdk/v3"
LDFLAG_VERSION = f"{SDK}/go/common/version.Version"
REPLACE_LINE = re.compile(r"^\s*(?:replace\s+)?(\S+)(?:\s+(\S+))?\s+=>\s+(\S+)(?:\s+(\S+))?\s*$")


def go(args: list[str], cwd: Path, capture: bool = False) -> str:
    print("+ go " + " ".join(args), file=sys.stderr, flush=True)
    done = subprocess.run(["go", *args], cwd=cwd, check=True, text=True, stdout=subprocess.PIPE if capture else None)
    return done.stdout or ""


def download(module: str, version: str, cwd: Path) -> dict[str, str]:
    info: dict[str, str] = json.loads(go(["mod", "download", "-json", f"{module}@{version}"], cwd, capture=True))
    if info.get("Error"):
        raise SystemExit(f"the module proxy refused {module}@{version}: {info['Error']}")
    return info


def remote_replaces(go_mod: Path) -> list[str]:
    """The `replace` directives of a go.mod that point at other modules, not local paths."""
    lines: list[str] = []
    in_block = False
    for raw in go_mod.read_text().splitlines():
        line = raw.split("//")[0].rstrip()
        if line.startswith("replace ("):
            in_block = True
            continue
        if in_block and line.strip() == ")":
            in_block = False
            continue
        if not (in_block or line.startswith("replace ")):
            continue
        match = REPLACE_LINE.match(line)
        if match and not match.group(3).startswith("."):
            old, old_version, new, new_version = match.groups()
            left = f"{old} {old_version}" if old_version else old
            right = f"{new} {new_version}" if new_version else new
            lines.append(f"replace {left} => {right}")
    return lines


def write_wrapper(work: Path, requires: dict[str, str], replaces: list[str], anchor: str) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for name in ("go.mod", "go.sum"):
        (work / name).unlink(missing_ok=True)
    require_lines = "\n".join(f"\t{mod} {ver}" for mod, ver in requires.items())
    unique_replaces = "\n".join(dict.fromkeys(replaces))
    (work / "go.mod").write_text(
        f"module enginebuild\n\ngo 1.26\n\nrequire (\n{require_lines}\n)\n\n{unique_replaces}\n"
    )
    # A blank import keeps `go mod tidy` from dropping the requirements.
    (work / "tools.go").write_text(f'//go:build tools\n\npackage enginebuild\n\nimport _ "{anchor}"\n')


def build(work: Path, package: str, output: Path, version: str) -> None:
    flags = f"-w -s -X {LDFLAG_VERSION}={version}"
    go(["mod", "tidy"], work)
    go(
        [
            "build",
            "-trimpath",
            "-tags",
            "osusergo,grpcnotrace",
            "-ldflags",
            flags,
            "-o",
            str(output),
            package,
        ],
        work,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--bin-dir", required=True, type=Path)
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--executor-only", action="store_true", help="a matching CLI exists; skip its build")
    args = parser.parse_args()
    version: str = args.version
    bin_dir: Path = args.bin_dir
    bin_dir.mkdir(parents=True, exist_ok=True)
    scratch: Path = args.work_dir
    scratch.mkdir(parents=True, exist_ok=True)

    pkg = download(PKG, version, scratch)
    sdk = download(SDK, version, scratch)
    replaces = remote_replaces(Path(pkg["GoMod"])) + remote_replaces(Path(sdk["GoMod"]))

    if not args.executor_only:
        cli_work = scratch / "cli"
        write_wrapper(cli_work, {PKG: version, SDK: version}, replaces, f"{PKG}/cmd/pulumi")
        build(cli_work, f"{PKG}/cmd/pulumi", bin_dir / "pulumi", version)
    install_executor(sdk, bin_dir)


# Shipped inside the sdk module: the program executor, and the launcher the engine runs for dynamic
# providers, exactly as Pulumi's releases install them (`python -u -m pulumi.dynamic`).
SHIPPED_SCRIPTS = {
    "pulumi-language-python-exec": ("python", "cmd"),
    "pulumi-resource-pulumi-python": ("python", "dist"),
}


def install_executor(sdk: dict[str, str], bin_dir: Path) -> None:
    """Copies the Python program executor and the dynamic-provider launcher beside the CLI."""
    for name, folder in SHIPPED_SCRIPTS.items():
        target = bin_dir / name
        target.unlink(missing_ok=True)
        shutil.copyfile(Path(sdk["Dir"]).joinpath(*folder, name), target)
        target.chmod(0o755)


if __name__ == "__main__":
    main()
