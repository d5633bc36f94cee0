"""`RunPlugin` of the Python language host: policy packs (PulumiPolicy.yaml) and plugin dirs (PulumiPlugin.yaml).

The engine (v3.274.1) starts a Python policy pack, and any plugin directory whose runtime is `python`, by asking the
`python` language host to `RunPlugin` it (`ExecPlugin` in sdk/go/common/resource/plugin/plugin.go); the
`pulumi-analyzer-policy-python` script is used only when no language host is found. This reproduces what Pulumi's
Go host does (`RunPlugin` in sdk/python/cmd/pulumi-language-python/main.go):

- the interpreter comes from the runtime options, `toolchain` and `virtualenv` (relative to the plugin directory):
  a virtualenv's `bin/python` with the virtualenv activated, else `PULUMI_PYTHON_CMD` or `python3` from PATH. A
  plugin (not a policy pack) defaults to the virtualenv `venv`, as the Go host does;
- a policy pack (kind `analyzer`) runs as `python -u -m pulumi.policy ARGS... PACK_DIR` in the pack's directory;
  the host first serves a proxy Analyzer whose port it reports as the plugin's, takes the engine's
  `ConfigureStack`, then starts the pack with that stack in its environment (`PULUMI_PROJECT`, `PULUMI_STACK`,
  `PULUMI_ORGANIZATION`, `PULUMI_DRY_RUN`, `PULUMI_CONFIG`), reads the pack's own port, forwards the configuration
  and proxies every other call to it (the SDK's `PolicyProxy`);
- any other plugin runs as `python PLUGIN_DIR ARGS...` (its `__main__.py`) in the engine's working directory, or,
  without a `__main__.py`, as `python -m pulumi.run.plugin NAME ARGS...` for a buildable package (pyproject.toml);
- the engine's environment (`RunPluginRequest.env`) comes last and wins; stdout and stderr stream back as they
  come, and a non-zero exit is reported as the plugin's exit code. When the engine drops the call, the process is
  killed.

The `uv` and `poetry` toolchains are refused with a message: neither is on the machines this host serves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import IO, Any, Generic, TypeVar

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, language_pb2

ANALYZER_KIND = "analyzer"
TOOLCHAINS = ("pip", "poetry", "uv")
LOCKFILES = {"uv.lock": "uv", "poetry.lock": "poetry"}

T = TypeVar("T")


class RunPluginError(Exception):
    """A plugin that cannot be started; the engine shows the message."""


@dataclass(frozen=True)
class Python:
    """The interpreter that runs a plugin, and the environment it starts from (None: only what is added later)."""

    executable: str
    env: dict[str, str] | None


def runtime_options(options: Mapping[str, Any], *, is_plugin: bool) -> tuple[str, str]:
    """(toolchain, virtualenv) from PulumiPolicy.yaml's or PulumiPlugin.yaml's runtime options (Go `parseOptions`)."""
    virtualenv = options.get("virtualenv", "")
    if not isinstance(virtualenv, str):
        raise RunPluginError("virtualenv option must be a string")
    toolchain = options.get("toolchain", "auto")
    if not isinstance(toolchain, str):
        raise RunPluginError("toolchain option must be a string")
    if toolchain != "auto" and toolchain not in TOOLCHAINS:
        raise RunPluginError(f"unsupported toolchain option: {toolchain}")
    # Plugins never run in the ambient Python; programs and policy packs may (the Go host's compatibility rule).
    if is_plugin and toolchain in ("pip", "auto") and not virtualenv:
        virtualenv = "venv"
    return toolchain, virtualenv


def _search_up(directory: Path, name: str) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / name).exists():
            return candidate / name
    return None


def activated(environ: Mapping[str, str], virtualenv: Path) -> dict[str, str]:
    """The environment with the virtualenv activated (Go `ActivateVirtualEnv`)."""
    env = {key: value for key, value in environ.items() if key not in ("PYTHONHOME", "VIRTUAL_ENV")}
    bin_dir = str(virtualenv / "bin")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}" if env.get("PATH") else bin_dir
    env["VIRTUAL_ENV"] = str(virtualenv)
    return env


def resolve_python(root: str, program_dir: str, options: Mapping[str, Any], *, is_plugin: bool) -> Python:
    """The interpreter for a plugin directory, as the Go host's toolchain resolves it."""
    toolchain, virtualenv = runtime_options(options, is_plugin=is_plugin)
    if toolchain == "auto":
        found = next((tool for lock, tool in LOCKFILES.items() if _search_up(Path(program_dir), lock)), None)
        toolchain = found or "pip"
    if toolchain != "pip":
        raise RunPluginError(
            f"the {toolchain} toolchain is not available to this development Python language host; "
            "set `toolchain: pip` (with `virtualenv` for a virtual environment) in the runtime options"
        )
    if virtualenv:
        venv = Path(virtualenv) if Path(virtualenv).is_absolute() else Path(root) / virtualenv
        return Python(str(venv / "bin" / "python"), activated(os.environ, venv))
    commands = [os.environ["PULUMI_PYTHON_CMD"]] if os.environ.get("PULUMI_PYTHON_CMD") else ["python3", "python"]
    for command in commands:
        found_path = shutil.which(command)
        if found_path:
            return Python(found_path, None)
    raise RunPluginError(
        f"failed to locate any of {json.dumps(commands)} on your PATH. Have you installed Python 3.10 or greater?"
    )


def environment(base: Mapping[str, str] | None, *layers: Mapping[str, str] | list[str]) -> dict[str, str]:
    """base, then each layer (a mapping or KEY=VALUE entries); a later value wins, as in Go's exec."""
    env = dict(base or {})
    for layer in layers:
        if isinstance(layer, Mapping):
            env.update(layer)
        else:
            env.update(entry.partition("=")[::2] for entry in layer if "=" in entry)
    return env


def stack_environment(config: analyzer_pb2.AnalyzerStackConfigureRequest | None) -> dict[str, str]:
    """What a policy pack learns of the stack from its environment (the Go host's `maybeAppendEnv`)."""
    if config is None:
        return {}
    values = {
        "PULUMI_ORGANIZATION": config.organization,
        "PULUMI_PROJECT": config.project,
        "PULUMI_STACK": config.stack,
        "PULUMI_DRY_RUN": "true" if config.dry_run else "false",
        "PULUMI_CONFIG": json.dumps(dict(sorted(config.config.items()))) if config.config else "",
    }
    return {key: value for key, value in values.items() if value}


def plugin_command(request: language_pb2.RunPluginRequest, python: Python) -> tuple[list[str], str]:
    """The command line and working directory of a plugin or policy pack."""
    program_dir = request.info.program_directory
    if request.kind == ANALYZER_KIND:
        # The program directory goes last for policy packs, which run in their own directory (Go host's rule).
        return [python.executable, "-u", "-m", "pulumi.policy", *request.args, program_dir], program_dir
    if not (Path(program_dir) / "__main__.py").is_file() and _has_plugin_runner(python):
        name = _buildable_package_name(Path(program_dir))
        return [python.executable, "-m", "pulumi.run.plugin", name, *request.args], request.pwd
    return [python.executable, program_dir, *request.args], request.pwd


def _has_plugin_runner(python: Python) -> bool:
    """Whether the interpreter's Pulumi SDK has `pulumi.run.plugin` (older SDKs fall back to `__main__.py`)."""
    probe = subprocess.run(
        [python.executable, "-c", "import pulumi.run.plugin"], env=python.env, capture_output=True, check=False
    )
    return b"ModuleNotFoundError" not in probe.stdout + probe.stderr


def _buildable_package_name(directory: Path) -> str:
    try:
        pyproject = tomllib.loads((directory / "pyproject.toml").read_text())
    except FileNotFoundError:
        pyproject = {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RunPluginError(f"checking if plugin is a buildable package: parsing pyproject.toml: {error}") from error
    name = pyproject.get("project", {}).get("name", "")
    if not name or not pyproject.get("build-system", {}).get("build-backend"):
        raise RunPluginError("plugin is not runnable, it provides neither __main__.py nor a buildable pyproject.toml")
    return str(name)


class Promise(Generic[T]):
    """A value set once (or failed once) by one thread and awaited by others."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._value: T | None = None
        self._error: str | None = None

    def fulfil(self, value: T | None) -> bool:
        with self._lock:
            if self._done.is_set():
                return False
            self._value = value
            self._done.set()
            return True

    def reject(self, error: str) -> None:
        with self._lock:
            if not self._done.is_set():
                self._error = error
                self._done.set()

    def wait(self) -> T | None:
        self._done.wait()
        if self._error is not None:
            raise RunPluginError(self._error)
        return self._value


class PolicyProxy(analyzer_pb2_grpc.AnalyzerServicer):
    """The Analyzer the engine talks to first: it answers Handshake and ConfigureStack itself, so the pack can be
    started with the stack in its environment, then forwards every call to the pack (the SDK's `PolicyProxy`)."""

    def __init__(self) -> None:
        self.configuration: Promise[analyzer_pb2.AnalyzerStackConfigureRequest] = Promise()
        self._client: Promise[analyzer_pb2_grpc.AnalyzerStub] = Promise()
        self._channel: grpc.Channel | None = None
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        analyzer_pb2_grpc.add_AnalyzerServicer_to_server(self, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    def attach(self, port: int) -> None:
        """Connects to the pack on `port` and hands it the stack's configuration."""
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        client = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        config = self.configuration.wait()  # settled before the pack was started
        if config is not None:
            try:
                client.ConfigureStack(config)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # older packs do not implement it
                    self._client.reject(f"policy pack configuration failed: {error.details()}")
                    return
        self._client.fulfil(client)

    def abort(self, reason: str) -> None:
        self.configuration.fulfil(None)
        self._client.reject(f"policy pack failed to start: {reason}")

    def stop(self) -> None:
        self._server.stop(grace=None)
        if self._channel is not None:
            self._channel.close()

    def Handshake(self, request: Any, context: Any) -> analyzer_pb2.AnalyzerHandshakeResponse:  # noqa: N802
        return analyzer_pb2.AnalyzerHandshakeResponse()

    def ConfigureStack(self, request: Any, context: Any) -> analyzer_pb2.AnalyzerStackConfigureResponse:  # noqa: N802
        self.configuration.fulfil(request)
        return analyzer_pb2.AnalyzerStackConfigureResponse()

    def _forward(self, method: str, request: Any, context: grpc.ServicerContext) -> Any:
        # A call before ConfigureStack (`pulumi policy publish`) starts the pack without a stack.
        self.configuration.fulfil(None)
        try:
            client = self._client.wait()
        except RunPluginError as error:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"policy pack not started: {error}")
        assert client is not None
        try:
            return getattr(client, method)(request)
        except grpc.RpcError as error:
            context.abort(error.code(), error.details() or "")

    def Analyze(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._forward("Analyze", request, context)

    def AnalyzeStack(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._forward("AnalyzeStack", request, context)

    def Remediate(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._forward("Remediate", request, context)

    def GetAnalyzerInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._forward("GetAnalyzerInfo", request, context)

    def GetPluginInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._forward("GetPluginInfo", request, context)

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._forward("Configure", request, context)

    def Cancel(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._forward("Cancel", request, context)


Output = language_pb2.RunPluginResponse | None


def _pump(stream: IO[bytes], make: Callable[[bytes], language_pb2.RunPluginResponse], out: Queue[Output]) -> None:
    """Streams a pipe to the engine as it comes, then closes it; None marks its end."""
    with stream:
        while chunk := stream.read1(65536):  # type: ignore[attr-defined]
            out.put(make(chunk))
    out.put(None)


def _stdout(chunk: bytes) -> language_pb2.RunPluginResponse:
    return language_pb2.RunPluginResponse(stdout=chunk)


def _stderr(chunk: bytes) -> language_pb2.RunPluginResponse:
    return language_pb2.RunPluginResponse(stderr=chunk)


def _pump_pack_stdout(stream: IO[bytes], proxy: PolicyProxy, out: Queue[Output]) -> None:
    """The pack's first line is its port, for the proxy; the rest is the engine's."""
    line = stream.readline()
    try:
        port = int(line.strip())
    except ValueError:
        proxy.abort(f"could not read policy pack port: {line.decode(errors='replace').strip() or 'EOF'}")
        if line:
            out.put(_stdout(line))
    else:
        proxy.attach(port)
    _pump(stream, _stdout, out)


def run_plugin(request: language_pb2.RunPluginRequest, context: grpc.ServicerContext) -> Iterator[Any]:
    """Runs the plugin or policy pack of `request`, streaming its output until it exits."""
    options = json_format.MessageToDict(request.info.options) if request.info.HasField("options") else {}
    analyzer = request.kind == ANALYZER_KIND
    try:
        python = resolve_python(
            request.info.root_directory, request.info.program_directory, options, is_plugin=not analyzer
        )
        command, cwd = plugin_command(request, python)
    except RunPluginError as error:
        context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
    out: Queue[Output] = Queue()
    process: list[subprocess.Popen[bytes]] = []
    cancelled = threading.Event()
    proxy = PolicyProxy() if analyzer else None

    def stop() -> None:
        cancelled.set()
        if proxy is not None:
            proxy.configuration.fulfil(None)  # unblocks the wait below when the engine leaves before configuring
            proxy.stop()
        for started in process:
            if started.poll() is None:
                started.kill()

    context.add_callback(stop)
    stack_env: dict[str, str] = {}
    if proxy is not None:
        yield _stdout(f"{proxy.port}\n".encode())
        stack_env = stack_environment(proxy.configuration.wait())
    if cancelled.is_set():
        return
    try:
        started = subprocess.Popen(
            command,
            cwd=cwd or None,
            env=environment(python.env, stack_env, list(request.env)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        if proxy is not None:
            proxy.abort(str(error))
        context.abort(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"problem executing plugin program (could not run language executor): {error}",
        )
    process.append(started)
    assert started.stdout is not None and started.stderr is not None
    stdout_pump = (
        threading.Thread(target=_pump, args=(started.stdout, _stdout, out), daemon=True)
        if proxy is None
        else threading.Thread(target=_pump_pack_stdout, args=(started.stdout, proxy, out), daemon=True)
    )
    stdout_pump.start()
    threading.Thread(target=_pump, args=(started.stderr, _stderr, out), daemon=True).start()
    open_streams = 2
    while open_streams:
        message = out.get()
        if message is None:
            open_streams -= 1
        else:
            yield message
    returncode = started.wait()
    if proxy is not None:
        proxy.abort(f"exit status {returncode}")  # only reaches calls still waiting for a pack that never started
    if returncode != 0:
        yield language_pb2.RunPluginResponse(exitcode=returncode)
