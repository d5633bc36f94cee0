"""A Pulumi language host for Node.js programs (TypeScript or JavaScript), where the Go host cannot be built.

The Go module proxy serves no `pulumi-language-nodejs` (a module of its own in pulumi/pulumi, without versions of
its own), so this host speaks the `pulumirpc.LanguageRuntime` gRPC protocol and runs the program as the Go host
does: `node` runs `cmd/run` of the program's own `@pulumi/pulumi` (found in its node_modules), which connects
back to the engine. TypeScript is compiled by that script with ts-node (the project's `typescript`, or the one
@pulumi/pulumi vendors). Dependencies are the project's to install (`npm ci`); this host installs nothing.
Started by the engine as `pulumi-language-nodejs [ENGINE_ADDRESS]`, through the launcher ensure-engine.sh writes.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import language_pb2

from pulumi_stripe_apps import enginewatch
from stripe_apps_devtools.language_host import LanguageHost, engine_address_argument, program_env, run_response, serve

RUN_SCRIPT = Path("node_modules", "@pulumi", "pulumi", "cmd", "run")


def find_run_script(program_directory: Path) -> Path | None:
    """`@pulumi/pulumi/cmd/run` as node resolves it from the program: the nearest node_modules that has it."""
    for directory in (program_directory, *program_directory.parents):
        candidate = directory / RUN_SCRIPT
        if (candidate / "index.js").is_file():
            return candidate
    return None


def run_arguments(request: language_pb2.RunRequest, engine_address: str, run_script: Path) -> list[str]:
    """The run script's command line, as the Go host builds it (flags first: the script stops at the program)."""
    pairs = {
        "monitor": request.monitor_address,
        "engine": engine_address,
        "organization": request.organization,
        "project": request.project,
        "stack": request.stack,
        "pwd": request.pwd,
        "root-directory": request.info.root_directory,
        "parallel": str(request.parallel),
    }
    arguments = [item for key, value in pairs.items() if value for item in (f"--{key}", value)]
    if request.dryRun:
        arguments.append("--dry-run")
    return [str(run_script), *arguments, request.info.entry_point or ".", *request.args]


def node_environment(request: language_pb2.RunRequest, options: dict[str, Any]) -> dict[str, str]:
    """The stack's config and the project's runtime options (`typescript`, `tsconfig`) for the run script."""
    env = program_env(request)
    if options.get("typescript", True) is not False:
        env["PULUMI_NODEJS_TYPESCRIPT"] = "true"
    tsconfig = options.get("tsconfig")
    if isinstance(tsconfig, str) and tsconfig:
        env["PULUMI_NODEJS_TSCONFIG_PATH"] = tsconfig
    return env


class NodeLanguageHost(LanguageHost):
    """Runs Node.js programs for the engine with the project's own @pulumi/pulumi."""

    def About(self, request: Any, context: Any) -> language_pb2.AboutResponse:  # noqa: N802
        node = shutil.which("node") or ""
        version = ""
        if node:
            version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
        return language_pb2.AboutResponse(executable=node, version=version.strip().removeprefix("v"))

    def Run(self, request: language_pb2.RunRequest, context: Any) -> language_pb2.RunResponse:  # noqa: N802
        options = json_format.MessageToDict(request.info.options) if request.info.HasField("options") else {}
        program_directory = Path(request.info.program_directory or request.pwd or ".")
        node = shutil.which("node")
        if node is None:
            return language_pb2.RunResponse(error="Node.js programs need `node` on PATH and none was found")
        run_script = find_run_script(program_directory.resolve())
        if run_script is None:
            return language_pb2.RunResponse(
                error=f"@pulumi/pulumi is not installed for the program in {program_directory}: "
                "install its dependencies first (`npm ci` there)"
            )
        node_args = shlex.split(str(options.get("nodeargs", "")))
        command = [node, *node_args, *run_arguments(request, self._engine_address, run_script)]
        try:
            completed = subprocess.run(
                command, cwd=request.pwd or None, env=node_environment(request, options), check=False
            )
        except OSError as error:
            return language_pb2.RunResponse(error=f"could not start the Node.js program with {node}: {error}")
        return run_response(completed.returncode)


def main() -> None:
    enginewatch.start(host=True)  # exit with the engine, as Pulumi's own language hosts do
    engine_address = engine_address_argument()
    if engine_address is not None:
        serve(NodeLanguageHost(engine_address))


if __name__ == "__main__":
    main()
