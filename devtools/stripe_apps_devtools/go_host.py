"""A Pulumi language host for Go programs, where Pulumi's own cannot be built.

The Go module proxy serves no `pulumi-language-go` (a module of its own in pulumi/pulumi, without versions of its
own), so this host speaks the `pulumirpc.LanguageRuntime` gRPC protocol and does what that host does
(sdk/go/pulumi-language-go/main.go): `go build` the program into a temporary file (or the project's `buildTarget`),
or run the project's prebuilt `binary`, with the environment the Go SDK reads (`pulumi.RunInfo`: PULUMI_MONITOR,
PULUMI_ENGINE, PULUMI_PROJECT, ...); the packages a program requires are the modules its go.mod requires that carry
a `pulumi-plugin.json`; `go mod tidy` installs dependencies. Go's own settings (GOCACHE, GOMODCACHE, GOFLAGS,
GOPROXY, ...) come from the environment, as for any `go build`. Started by the engine as
`pulumi-language-go [ENGINE_ADDRESS]`, through the launcher ensure-engine.sh writes.
"""

from __future__ import annotations

import glob
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import language_pb2, plugin_pb2

from pulumi_stripe_apps import enginewatch
from stripe_apps_devtools.language_host import LanguageHost, engine_address_argument, program_env, run_response, serve

# golang.org/x/mod/module.IsPseudoVersion's pattern: a commit after (or without) a tag, not a release.
PSEUDO_VERSION = re.compile(r"^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+)?$")
# Modules under this prefix are providers even without a pulumi-plugin.json (pulumi-aws -> aws), as the Go host says.
PULUMI_PROVIDER_PREFIX = "github.com/pulumi/pulumi-"


class GoHostError(Exception):
    """A request this host refuses, with the message Pulumi's Go host gives."""


@dataclass(frozen=True)
class GoOptions:
    """Pulumi.yaml's `runtime.options` for Go: a prebuilt `binary` to run, or where `go build` writes."""

    binary: str = ""
    build_target: str = ""


def go_options(options: Mapping[str, Any]) -> GoOptions:
    binary, build_target = options.get("binary", ""), options.get("buildTarget", "")
    if not isinstance(binary, str):
        raise GoHostError("binary option must be a string")
    if not isinstance(build_target, str):
        raise GoHostError("buildTarget option must be a string")
    if binary and build_target:
        raise GoHostError("binary and buildTarget cannot both be specified")
    return GoOptions(binary, build_target)


def go_environment(request: language_pb2.RunRequest, engine_address: str) -> dict[str, str]:
    """The program's environment: ours plus what `pulumi.Run` reads (sdk/go/pulumi/run.go), each only when set."""
    env = program_env(request)
    run_info = {
        "PULUMI_ORGANIZATION": request.organization,
        "PULUMI_PROJECT": request.project,
        "PULUMI_ROOT_DIRECTORY": request.info.root_directory,
        "PULUMI_STACK": request.stack,
        "PULUMI_DRY_RUN": "true" if request.dryRun else "false",
        "PULUMI_PARALLEL": str(request.parallel),
        "PULUMI_MONITOR": request.monitor_address,
        "PULUMI_ENGINE": engine_address,
    }
    env.update({key: value for key, value in run_info.items() if value})
    return env


def find_executable(name: str, directory: str) -> str | None:
    """`binary` as Pulumi finds it (executable.FindExecutable): a path from the project directory, else on PATH."""
    candidate = Path(directory, name)
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which(name)


def compile_program(go: str, program_directory: str, outfile: str) -> str:
    """`go build -o OUTFILE` in the program's directory (a new temporary file when OUTFILE is empty)."""
    pattern = os.path.join(program_directory, "*.go")
    if not glob.glob(pattern):
        raise GoHostError(f"Failed to find go files for 'go build' matching {pattern}")
    if not outfile:
        handle, outfile = tempfile.mkstemp(prefix="pulumi-go.")
        os.close(handle)
    built = subprocess.run(
        [go, "build", "-o", outfile], cwd=program_directory, capture_output=True, text=True, check=False
    )
    if built.returncode != 0:
        status = built.returncode
        raise GoHostError(f"error in compiling Go: unable to run `go build`: exit status {status}\n{built.stderr}")
    target = Path(program_directory, outfile)
    if not os.access(target, os.X_OK):
        raise GoHostError("go program is not executable, does your program have a 'main' package?")
    return str(target)


def normalize_version(version: str) -> str:
    """A module version as a plugin version: a pseudo-version names the release before it (the Go host's rule)."""
    match = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", version)
    if match is None:
        raise GoHostError("module does not have semver compatible version")
    if not PSEUDO_VERSION.match(version):
        return version
    major, minor, patch = (int(part or 0) for part in match.groups())
    if major == minor == patch == 0:
        raise GoHostError("invalid pseduoversion with no prior tag")
    return f"v{major}.{minor}.{max(patch - 1, 0)}"


def plugin_json(module_directory: Path) -> dict[str, Any] | None:
    """The module's pulumi-plugin.json: at its root, in go/, in go/*/ or in */, the first found."""
    candidates = [module_directory / "pulumi-plugin.json", module_directory / "go" / "pulumi-plugin.json"]
    candidates += sorted(module_directory.glob("go/*/pulumi-plugin.json"))
    candidates += sorted(module_directory.glob("*/pulumi-plugin.json"))
    for candidate in candidates:
        if candidate.is_file():
            found: dict[str, Any] = json.loads(candidate.read_text())
            return found
    return None


def package_of(module: Mapping[str, Any]) -> plugin_pb2.PackageDependency | None:
    """The provider package a module (`go list -m -json`'s answer) ships the SDK of; None for any other module."""
    path, directory = str(module.get("Path", "")), str(module.get("Dir", ""))
    if not directory:
        return None
    described = plugin_json(Path(directory))
    if (described is None and not path.startswith(PULUMI_PROVIDER_PREFIX)) or (
        described is not None and not described.get("resource")
    ):
        return None
    described = described or {}
    name = described.get("name") or path.split("/")[2].split("-", 1)[1]
    try:
        version = normalize_version(described.get("version") or str(module.get("Version", "")))
    except GoHostError:
        return None
    parameterization = described.get("parameterization")
    return plugin_pb2.PackageDependency(
        name=name,
        version=version,
        kind="resource",
        server=described.get("server", ""),
        parameterization=plugin_pb2.PackageParameterization(
            name=parameterization["name"],
            version=parameterization["version"],
            value=parameterization.get("value", "").encode(),
        )
        if parameterization
        else None,
    )


def _json_stream(text: str) -> list[dict[str, Any]]:
    """The concatenated JSON objects `go list -m -json` and `go mod download -json` print."""
    decoder, found, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        value, index = decoder.raw_decode(text, index)
        found.append(value)
    return found


def required_modules(go: str, program_directory: str) -> list[dict[str, Any]]:
    """The modules the program's go.mod requires, with the directory of each (downloaded when not yet in the cache)."""
    env = {**os.environ, "GOWORK": "off"}  # only the module of this directory, never a workspace's others

    def go_json(*args: str, cwd: str) -> list[dict[str, Any]]:
        done = subprocess.run([go, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise GoHostError(f"go {' '.join(args[:2])}: {done.stderr.strip()}")
        return _json_stream(done.stdout)

    listed = subprocess.run(
        [go, "list", "-m", "-f", "{{.GoMod}}"],
        cwd=program_directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    go_mod = listed.stdout.strip()
    if not go_mod:
        return []  # not a module: nothing to find, as the Go host answers
    module_directory = str(Path(go_mod).parent)
    requires = (
        json.loads(
            subprocess.run(
                [go, "mod", "edit", "-json", go_mod], env=env, capture_output=True, text=True, check=True
            ).stdout
        ).get("Require")
        or []
    )
    paths = [required["Path"] for required in requires]
    if not paths:
        return []
    modules = go_json("list", "-m", "-json", *paths, cwd=module_directory)
    missing = [module["Path"] for module in modules if not module.get("Dir")]
    if missing:
        fetched = go_json("mod", "download", "-json", *missing, cwd=module_directory)
        downloaded = {module["Path"]: module.get("Dir") for module in fetched}
        for module in modules:
            module.setdefault("Dir", downloaded.get(module["Path"]) or "")
    return modules


def find_go(what: str) -> str:
    """The `go` on PATH; its absence is named with what needed it, as the Go host does."""
    go = shutil.which("go")
    if go is None:
        raise GoHostError(f"{what}: unable to find 'go' executable on PATH")
    return go


def _pump(stream: IO[bytes], field: str, out: queue.Queue[language_pb2.InstallDependenciesResponse | None]) -> None:
    with stream:
        for line in iter(stream.readline, b""):
            out.put(language_pb2.InstallDependenciesResponse(**{field: line}))
    out.put(None)


class GoLanguageHost(LanguageHost):
    """Builds and runs Go programs for the engine with the `go` on PATH."""

    def About(self, request: Any, context: grpc.ServicerContext) -> language_pb2.AboutResponse:  # noqa: N802
        try:
            go = find_go("about")
        except GoHostError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        version = subprocess.run([go, "version"], capture_output=True, text=True, check=False).stdout.strip()
        return language_pb2.AboutResponse(executable=go, version=version)

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:  # noqa: N802
        # As Pulumi's Go host: the engine asks GetRequiredPackages instead.
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "method GetRequiredPlugins not implemented")

    def GetRequiredPackages(  # noqa: N802
        self, request: language_pb2.GetRequiredPackagesRequest, context: Any
    ) -> language_pb2.GetRequiredPackagesResponse:
        try:
            modules = required_modules(find_go("required packages"), request.info.program_directory or ".")
        except GoHostError:
            return language_pb2.GetRequiredPackagesResponse()  # lenient, as the Go host is: the build will say why
        packages = [package for package in map(package_of, modules) if package is not None]
        return language_pb2.GetRequiredPackagesResponse(packages=packages)

    def InstallDependencies(  # noqa: N802
        self, request: language_pb2.InstallDependenciesRequest, context: grpc.ServicerContext
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        try:
            go = find_go("installing dependencies")
        except GoHostError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        yield language_pb2.InstallDependenciesResponse(stdout=b"Installing dependencies...\n\n")
        tidy = subprocess.Popen(
            [go, "mod", "tidy", "-compat=1.18"],
            cwd=request.info.program_directory or None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert tidy.stdout is not None and tidy.stderr is not None
        out: queue.Queue[language_pb2.InstallDependenciesResponse | None] = queue.Queue()
        for stream, field in ((tidy.stdout, "stdout"), (tidy.stderr, "stderr")):
            threading.Thread(target=_pump, args=(stream, field, out), daemon=True).start()
        open_streams = 2
        while open_streams:
            response = out.get()
            if response is None:
                open_streams -= 1
            else:
                yield response
        if tidy.wait() != 0:
            context.abort(
                grpc.StatusCode.UNKNOWN, f"`go mod tidy` failed to install dependencies: exit status {tidy.returncode}"
            )
        yield language_pb2.InstallDependenciesResponse(stdout=b"Finished installing dependencies\n\n")

    def Run(self, request: language_pb2.RunRequest, context: grpc.ServicerContext) -> language_pb2.RunResponse:  # noqa: N802
        raw = json_format.MessageToDict(request.info.options) if request.info.HasField("options") else {}
        try:
            options = go_options(raw)
            program, temporary = self._program(request, options)
        except GoHostError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        try:
            completed = subprocess.run(
                [program], cwd=request.pwd or None, env=go_environment(request, self._engine_address), check=False
            )
        except OSError as error:
            return language_pb2.RunResponse(error=f"command errored unexpectedly: {error}")
        finally:
            if temporary:
                os.remove(program)
        return run_response(completed.returncode)

    @staticmethod
    def _program(request: language_pb2.RunRequest, options: GoOptions) -> tuple[str, bool]:
        """The executable to run and whether it is a temporary build to remove afterwards."""
        if options.binary:
            found = find_executable(options.binary, request.pwd or ".")
            if found is None:
                raise GoHostError(f"unable to find '{options.binary}' executable")
            return found, False
        go = find_go("building the program")
        program_directory = request.info.program_directory or request.pwd or "."
        return compile_program(go, program_directory, options.build_target), not options.build_target


def main() -> None:
    enginewatch.start(host=True)  # exit with the engine, as Pulumi's own language hosts do
    engine_address = engine_address_argument()
    if engine_address is not None:
        serve(GoLanguageHost(engine_address))


if __name__ == "__main__":
    main()
