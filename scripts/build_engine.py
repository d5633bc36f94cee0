#!/usr/bin/env python3
"""Builds the Pulumi CLI from the Go module proxy and installs the Python program executor.

`go install pkg@version` refuses modules whose go.mod has `replace` lines, so the CLI is built
from a small wrapper module that requires the published modules and copies their non-local
`replace` lines. Standard library only: it runs before any virtualenv exists.

Prints one progress line per step on stderr; go's own output (hundreds of `go: downloading`
lines) goes to the log file, whose path and tail are printed when a step fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

PULUMI = "github.com/pulumi/pulumi"
PKG = f"{PULUMI}/pkg/v3"
SDK = f"{PULUMI}/sdk/v3"
LDFLAG_VERSION = f"{SDK}/go/common/version.Version"
REPLACE_LINE = re.compile(r"^\s*(?:replace\s+)?(\S+)(?:\s+(\S+))?\s+=>\s+(\S+)(?:\s+(\S+))?\s*$")


TAIL_LINES = 30
T = TypeVar("T")


class BuildLog:
    """go's full output, in a file; the terminal gets one line per step."""

    def __init__(self, path: Path, steps: int, prefix: str = "ensure-engine") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.steps = steps
        self.prefix = prefix
        self.done = 0
        self.file: IO[str] = path.open("w", encoding="utf-8")

    def step(self, title: str, action: Callable[[], T]) -> T:
        self.done += 1
        progress = f"[{self.done}/{self.steps}] {title}"
        print(f"{self.prefix}: {progress}", file=sys.stderr, flush=True)
        self.write(f"== {progress}")
        try:
            return action()
        except (subprocess.CalledProcessError, OSError, SystemExit) as failure:
            self.fail(f"[{self.done}/{self.steps}] {title.removesuffix('...')}", failure)
            raise SystemExit(1) from None

    def write(self, text: str) -> None:
        self.file.write(text if text.endswith("\n") else text + "\n")
        self.file.flush()

    def fail(self, progress: str, failure: BaseException) -> None:
        if isinstance(failure, subprocess.CalledProcessError):
            reason = f"`{' '.join(map(str, failure.cmd[:3]))} ...` exited with status {failure.returncode}"
        elif isinstance(failure, SystemExit):
            reason = str(failure.code)
        else:
            reason = str(failure)
        self.write(f"!! {progress} failed: {reason}")
        self.file.close()
        with self.path.open(encoding="utf-8", errors="replace") as log:
            tail = deque(log, maxlen=TAIL_LINES)
        print(f"{self.prefix}: {progress} failed: {reason}", file=sys.stderr)
        print(f"{self.prefix}: full log: {self.path}; its last {len(tail)} lines:", file=sys.stderr)
        sys.stderr.write("".join(f"  | {line.rstrip()}\n" for line in tail))
        sys.stderr.flush()


def go(log: BuildLog, args: list[str], cwd: Path, capture: bool = False, env: dict[str, str] | None = None) -> str:
    """Runs `go ARGS` in cwd, its output in the log; env adds to (or, with "", clears) the environment."""
    assignments = "".join(f"{key}={value} " for key, value in (env or {}).items())
    log.write(f"+ (cd {cwd} && {assignments}go {' '.join(args)})")
    try:
        done = subprocess.run(
            ["go", *args],
            cwd=cwd,
            env={**os.environ, **env} if env else None,
            check=True,
            text=True,
            stdout=subprocess.PIPE if capture else log.file,
            stderr=log.file,
        )
    except subprocess.CalledProcessError as failure:
        if failure.stdout:  # `go mod download -json` explains a refusal on stdout
            log.write(failure.stdout)
        raise
    return done.stdout or ""


def download(log: BuildLog, module: str, version: str, cwd: Path) -> dict[str, str]:
    info: dict[str, str] = json.loads(go(log, ["mod", "download", "-json", f"{module}@{version}"], cwd, capture=True))
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


def build(log: BuildLog, work: Path, package: str, output: Path, version: str) -> None:
    flags = f"-w -s -X {LDFLAG_VERSION}={version}"
    go(
        log,
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
    parser.add_argument("--log", required=True, type=Path, help="where go's own output goes")
    args = parser.parse_args()
    version: str = args.version
    bin_dir: Path = args.bin_dir
    bin_dir.mkdir(parents=True, exist_ok=True)
    scratch: Path = args.work_dir
    scratch.mkdir(parents=True, exist_ok=True)

    if args.executor_only:
        log = BuildLog(args.log, steps=2)
        sdk = log.step("downloading the sdk module...", lambda: download(log, SDK, version, scratch))
    else:
        log = BuildLog(args.log, steps=3)
        cli_work = scratch / "cli"
        sdk = log.step("downloading modules...", lambda: prepare_cli(log, version, scratch, cli_work))
        log.step(
            "compiling pulumi (several minutes)...",
            lambda: build(log, cli_work, f"{PKG}/cmd/pulumi", bin_dir / "pulumi", version),
        )
    log.step("installing executor", lambda: install_executor(sdk, bin_dir))
    log.file.close()


def prepare_cli(log: BuildLog, version: str, scratch: Path, cli_work: Path) -> dict[str, str]:
    """Downloads pkg, sdk and every module the CLI needs (`go mod tidy`); returns the sdk's info."""
    pkg = download(log, PKG, version, scratch)
    sdk = download(log, SDK, version, scratch)
    replaces = remote_replaces(Path(pkg["GoMod"])) + remote_replaces(Path(sdk["GoMod"]))
    write_wrapper(cli_work, {PKG: version, SDK: version}, replaces, f"{PKG}/cmd/pulumi")
    go(log, ["mod", "tidy"], cli_work)
    return sdk


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
