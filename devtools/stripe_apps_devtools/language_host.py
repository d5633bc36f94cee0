"""A Pulumi language host for Python programs, for machines where the Go host cannot be built.

The Go module proxy serves the Pulumi CLI but not its Python language host (the host's module has
no versions of its own), so `pulumi up` in a project directory would have no way to run
`__main__.py`. This host speaks the same `pulumirpc.LanguageRuntime` gRPC protocol and runs the
program with `pulumi-language-python-exec`, the executor script that ships in Pulumi's SDK module,
exactly as the Go host does, and starts Python policy packs and plugin directories for the engine (`RunPlugin`,
in `run_plugin.py`). Started by the engine as `pulumi-language-python [ENGINE_ADDRESS]`;
it prints the port it serves on, then serves until the engine stops it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from pulumi_stripe_apps import enginewatch
from stripe_apps_devtools import dependencies, run_plugin

EXECUTOR_NAME = "pulumi-language-python-exec"
# The executor exits with this code after it has shown the user an actionable message.
EXIT_AFTER_USER_MESSAGE = 32
VERSION_ENV = "STRIPE_APPS_PULUMI_VERSION"
EXECUTOR_ENV = "STRIPE_APPS_PYTHON_EXECUTOR"


def python_for(root_directory: str, options: dict[str, Any]) -> str:
    """The interpreter that runs the program: the project's `virtualenv` option, else PULUMI_PYTHON_CMD, else
    python3 from PATH (never the host's own Python, which has only what the host needs)."""
    virtualenv = options.get("virtualenv")
    if isinstance(virtualenv, str) and virtualenv:
        venv = Path(virtualenv)
        if not venv.is_absolute():
            venv = Path(root_directory) / venv
        return str(venv / "bin" / "python")
    return os.environ.get("PULUMI_PYTHON_CMD") or shutil.which("python3") or "python3"


def executor_arguments(request: language_pb2.RunRequest, engine_address: str) -> list[str]:
    """The executor's command line, built the way the Go host builds it."""
    pairs = {
        "monitor": request.monitor_address,
        "engine": engine_address,
        "project": request.project,
        "root_directory": request.info.root_directory,
        "stack": request.stack,
        "pwd": request.pwd,
        "dry_run": "true" if request.dryRun else "false",
        "parallel": str(request.parallel),
        "organization": request.organization,
    }
    arguments = [item for key, value in pairs.items() if value for item in (f"--{key}", value)]
    return [*arguments, request.info.entry_point or ".", *request.args]


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    """What every host here answers alike; subclasses add `About` and `Run`."""

    def __init__(self, engine_address: str) -> None:
        self._engine_address = engine_address

    def Handshake(self, request: Any, context: Any) -> language_pb2.LanguageHandshakeResponse:  # noqa: N802
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:  # noqa: N802
        return plugin_pb2.PluginInfo(version=os.environ.get(VERSION_ENV, "3.0.0"))

    def GetRequiredPlugins(self, request: Any, context: Any) -> language_pb2.GetRequiredPluginsResponse:  # noqa: N802
        # Nothing for the engine to download: dynamic providers run through pulumi-resource-pulumi-python, and
        # the native plugin comes from PATH or Pulumi.yaml's `plugins.providers`, never from a download.
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> language_pb2.GetRequiredPackagesResponse:  # noqa: N802
        return language_pb2.GetRequiredPackagesResponse()

    def GetProgramDependencies(  # noqa: N802
        self, request: Any, context: Any
    ) -> language_pb2.GetProgramDependenciesResponse:
        return language_pb2.GetProgramDependenciesResponse()

    def InstallDependencies(self, request: Any, context: Any) -> Any:  # noqa: N802
        # Dependencies are installed by the project's own setup (make), never by the engine.
        return iter(())

    def Cancel(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802
        return empty_pb2.Empty()


def program_env(request: language_pb2.RunRequest) -> dict[str, str]:
    """The program's environment: ours plus the stack's config, as every Pulumi language host passes it."""
    env = dict(os.environ)
    env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
    env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
    return env


def run_response(returncode: int) -> language_pb2.RunResponse:
    """The engine's answer for a program's exit code (the Go hosts' rule)."""
    if returncode == 0:
        return language_pb2.RunResponse()
    if returncode == EXIT_AFTER_USER_MESSAGE:
        return language_pb2.RunResponse(bail=True)
    return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {returncode}")


class PythonLanguageHost(LanguageHost):
    """Runs Python programs for the engine; requires no plugins of its own."""

    def __init__(self, engine_address: str, executor: Path) -> None:
        super().__init__(engine_address)
        self._executor = executor

    def About(self, request: Any, context: Any) -> language_pb2.AboutResponse:  # noqa: N802
        # The interpreter programs run on by default (`pulumi about`), not the host's own Python.
        python = python_for("", {})
        try:
            done = subprocess.run([python, "--version"], capture_output=True, text=True, check=False)
        except OSError:
            return language_pb2.AboutResponse(executable=python)
        return language_pb2.AboutResponse(executable=python, version=done.stdout.strip().removeprefix("Python "))

    def Run(self, request: language_pb2.RunRequest, context: Any) -> language_pb2.RunResponse:  # noqa: N802
        options = json_format.MessageToDict(request.info.options) if request.info.HasField("options") else {}
        python = python_for(request.info.root_directory, options)
        command = [python, "-u", str(self._executor), *executor_arguments(request, self._engine_address)]
        try:
            completed = subprocess.run(command, env=program_env(request), check=False)
        except OSError as error:
            return language_pb2.RunResponse(error=f"could not start the Python program with {python}: {error}")
        return run_response(completed.returncode)

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:  # noqa: N802
        # A plugin directory's venv on `pulumi plugin install`, a project's on `pulumi new` (see dependencies.py).
        return dependencies.install_dependencies(request, context)

    def RunPlugin(self, request: language_pb2.RunPluginRequest, context: Any) -> Iterator[Any]:  # noqa: N802
        # Policy packs (PulumiPolicy.yaml) and plugin directories (PulumiPlugin.yaml) whose runtime is python.
        return run_plugin.run_plugin(request, context)


def engine_address_argument() -> str | None:
    """The engine's address from the command line; None when asked for the version (printed here)."""
    if "-version" in sys.argv[1:] or "--version" in sys.argv[1:]:
        print(os.environ.get(VERSION_ENV, "3.0.0"))
        return None
    arguments = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    return arguments[0] if arguments else ""


def serve(host: LanguageHost) -> None:
    """Serves host on a free port, prints the port (the engine reads it), and serves until stopped."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    server.stop(grace=1)


def main() -> None:
    enginewatch.start(host=True)  # exit with the engine, as Pulumi's own language hosts do
    engine_address = engine_address_argument()
    if engine_address is None:
        return
    # The launcher beside `pulumi` names the executor it installed next to itself.
    executor = Path(os.environ.get(EXECUTOR_ENV, EXECUTOR_NAME))
    serve(PythonLanguageHost(engine_address, executor))


if __name__ == "__main__":
    main()
