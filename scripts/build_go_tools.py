#!/usr/bin/env python3
"""Builds the Go tools that sit beside the Pulumi CLI: Pulumi's YAML language host and our SDK generator.

- `yaml-host`: `pulumi-language-yaml` from the module `github.com/pulumi/pulumi-yaml`, built with
  `go install MODULE/cmd/pulumi-language-yaml@VERSION`, i.e. with the module's own go.mod and go.sum, as its
  releases are. v1.25.0 requires `pulumi/pkg/v3` and `sdk/v3` v3.206.0 (v3.207.0 builds too); it does not
  compile against v3.274.1 (`schema.NewPluginLoader` and `plugin.NewContextWithRoot` changed). It talks to
  the v3.274.1 engine over gRPC, so the two versions need not match.
- `gen-sdk`: `scripts/gen_sdk` (Pulumi's code generators at the version its go.mod requires).

Same contract as build_engine.py, whose log and `go` helpers it uses: one progress line per step on stderr,
go's own output in a log file whose path and tail are printed when a step fails. The binary is written
beside its final path and renamed, so an interrupted build never leaves one that looks complete.
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from build_engine import BuildLog, go

YAML_MODULE = "github.com/pulumi/pulumi-yaml"
YAML_HOST = "pulumi-language-yaml"
# The flags of Pulumi's own releases (see build_engine.py).
FLAGS = ["-trimpath", "-tags", "osusergo,grpcnotrace"]


def build_yaml_host(version: str, bin_dir: Path, log_path: Path) -> None:
    log = BuildLog(log_path, steps=1)
    staging = bin_dir.parent / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    ldflags = f"-w -s -X {YAML_MODULE}/pkg/version.Version={version}"
    package = f"{YAML_MODULE}/cmd/{YAML_HOST}@{version}"
    log.step(
        f"compiling {YAML_HOST} {version} (about a minute and a half)...",
        # `go install pkg@version` ignores any enclosing module; GOFLAGS=-mod=... would be refused.
        lambda: go(
            log, ["install", *FLAGS, "-ldflags", ldflags, package], staging, env={"GOBIN": str(staging), "GOFLAGS": ""}
        ),
    )
    bin_dir.mkdir(parents=True, exist_ok=True)
    os.replace(staging / YAML_HOST, bin_dir / YAML_HOST)
    staging.rmdir()
    log.file.close()


def build_gen_sdk(source: Path, output: Path, log_path: Path) -> None:
    log = BuildLog(log_path, steps=1, prefix="ensure-gen-sdk")
    staging = output.with_name(output.name + ".partial")
    log.step(
        "compiling scripts/gen_sdk (Pulumi's code generators)...",
        lambda: go(
            log,
            ["build", *FLAGS, "-ldflags", "-w -s", "-o", str(staging), "."],
            source,
            env={"GOFLAGS": "-mod=readonly"},
        ),
    )
    os.replace(staging, output)
    log.file.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    tools = parser.add_subparsers(dest="tool", required=True)
    yaml = tools.add_parser("yaml-host", help=f"build {YAML_HOST} into --bin-dir")
    yaml.add_argument("--version", required=True)
    yaml.add_argument("--bin-dir", required=True, type=Path)
    yaml.add_argument("--log", required=True, type=Path)
    gen = tools.add_parser("gen-sdk", help="build scripts/gen_sdk into --output")
    gen.add_argument("--source", required=True, type=Path)
    gen.add_argument("--output", required=True, type=Path)
    gen.add_argument("--log", required=True, type=Path)
    args = parser.parse_args()
    if args.tool == "yaml-host":
        build_yaml_host(args.version, args.bin_dir, args.log)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        build_gen_sdk(args.source.resolve(), args.output, args.log)


if __name__ == "__main__":
    main()
