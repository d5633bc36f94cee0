"""`InstallDependencies` of the Python language host, for projects and plugin directories that name a virtualenv.

The engine asks for it when a plugin is installed (`pulumi plugin install`: a directory with PulumiPlugin.yaml,
`is_plugin`), and for a project on `pulumi new` and `pulumi install`. As Pulumi's Go host does for the `pip`
toolchain (`InstallDependencies` in sdk/python/toolchain/pip.go): the virtualenv (the runtime option, relative to
the root directory; `venv` for a plugin) is created with the Python that PULUMI_PYTHON_CMD names, else `python3`
from PATH, when it does not exist yet, then `python -m pip install -r requirements.txt` runs in the root directory,
its output streamed back as it comes. A project without a virtualenv is left alone: its dependencies are its own
environment's (this repository's tests run programs on the checkout's venv).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import language_pb2

from stripe_apps_devtools.run_plugin import RunPluginError, activated, runtime_options

REQUIREMENTS = "requirements.txt"
CHUNK = 65536


def _base_python() -> str:
    for command in filter(None, (os.environ.get("PULUMI_PYTHON_CMD"), "python3", "python")):
        found = shutil.which(command)
        if found:
            return found
    raise RunPluginError("failed to locate python3 on your PATH. Have you installed Python 3.10 or greater?")


def _streamed(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[language_pb2.InstallDependenciesResponse]:
    """Runs command, its output going back to the engine as the user's terminal would show it (stdout and stderr
    merged, in order); a failure ends with the command and its status."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    with process.stdout:
        while chunk := process.stdout.read1(CHUNK):  # type: ignore[attr-defined]
            yield language_pb2.InstallDependenciesResponse(stdout=chunk)
    if process.wait() != 0:
        raise RunPluginError(f"`{' '.join(command)}` in {cwd} exited with status {process.returncode}")


def install_dependencies(
    request: language_pb2.InstallDependenciesRequest, context: grpc.ServicerContext
) -> Iterator[Any]:
    options = json_format.MessageToDict(request.info.options) if request.info.HasField("options") else {}
    root = Path(request.info.root_directory or request.directory)
    try:
        toolchain, virtualenv = runtime_options(options, is_plugin=request.is_plugin)
        if not virtualenv:
            return
        if toolchain not in ("pip", "auto"):
            raise RunPluginError(f"the {toolchain} toolchain is not available to this Python language host")
        venv = Path(virtualenv) if Path(virtualenv).is_absolute() else root / virtualenv
        env = activated(os.environ, venv)
        if not (venv / "bin" / "python").is_file():
            yield language_pb2.InstallDependenciesResponse(stdout=f"Creating virtual environment in {venv}\n".encode())
            yield from _streamed([_base_python(), "-m", "venv", str(venv)], root, dict(os.environ))
        if (root / REQUIREMENTS).is_file():
            command = [str(venv / "bin" / "python"), "-m", "pip", "install", "-r", REQUIREMENTS]
            yield from _streamed(command, root, env)
    except RunPluginError as error:
        context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"installing dependencies: {error}")
