"""The development Go language host, driven over gRPC as the engine drives it (no engine needed): the environment a
program gets, the runtime options, the packages a go.mod names, `go mod tidy` for dependencies, the exit-code rule."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

from stripe_apps_devtools.go_host import GoHostError, GoLanguageHost, go_options, normalize_version, package_of

ENGINE_ADDRESS = "127.0.0.1:4321"


@pytest.fixture
def host() -> Iterator[language_pb2_grpc.LanguageRuntimeStub]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(GoLanguageHost(ENGINE_ADDRESS), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield language_pb2_grpc.LanguageRuntimeStub(channel)
    server.stop(grace=None)


def program_info(directory: Path, options: dict[str, object]) -> language_pb2.ProgramInfo:
    struct = struct_pb2.Struct()
    struct.update(options)
    return language_pb2.ProgramInfo(
        root_directory=str(directory), program_directory=str(directory), entry_point=".", options=struct
    )


def prebuilt(directory: Path, exit_code: int) -> Path:
    """A `binary` that writes the environment the Go SDK reads into env.json, then exits with exit_code."""
    program = directory / "prebuilt"
    program.write_text(
        "#!/bin/sh\n"
        'python3 -c \'import json, os; json.dump({k: v for k, v in os.environ.items() if k.startswith("PULUMI_")},'
        f' open("env.json", "w"))\'\nexit {exit_code}\n'
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def run_request(directory: Path, options: dict[str, object], **fields: object) -> language_pb2.RunRequest:
    return language_pb2.RunRequest(info=program_info(directory, options), pwd=str(directory), **fields)  # type: ignore[arg-type]


def test_a_prebuilt_binary_runs_with_the_environment_pulumi_run_reads(
    host: language_pb2_grpc.LanguageRuntimeStub, tmp_path: Path
) -> None:
    prebuilt(tmp_path, 0)
    sent = run_request(
        tmp_path,
        {"binary": "./prebuilt"},
        project="billing",
        stack="dev",
        organization="organization",
        monitor_address="127.0.0.1:1234",
        dryRun=True,
        parallel=8,
        config={"billing:mode": "live"},
        configSecretKeys=["billing:key"],
    )
    assert host.Run(sent) == language_pb2.RunResponse()
    env = json.loads((tmp_path / "env.json").read_text())
    assert (
        env.items()
        >= {
            "PULUMI_PROJECT": "billing",
            "PULUMI_STACK": "dev",
            "PULUMI_ORGANIZATION": "organization",
            "PULUMI_ROOT_DIRECTORY": str(tmp_path),
            "PULUMI_MONITOR": "127.0.0.1:1234",
            "PULUMI_ENGINE": ENGINE_ADDRESS,
            "PULUMI_DRY_RUN": "true",
            "PULUMI_PARALLEL": "8",
            "PULUMI_CONFIG_SECRET_KEYS": '["billing:key"]',
        }.items()
    )
    assert json.loads(env["PULUMI_CONFIG"]) == {"billing:mode": "live"}


@pytest.mark.parametrize(
    ("exit_code", "expected"),
    [
        (32, language_pb2.RunResponse(bail=True)),  # the program has shown its error already
        (3, language_pb2.RunResponse(error="program exited with non-zero exit code: 3")),
    ],
)
def test_a_programs_exit_code_is_answered_as_the_go_host_does(
    host: language_pb2_grpc.LanguageRuntimeStub, tmp_path: Path, exit_code: int, expected: language_pb2.RunResponse
) -> None:
    prebuilt(tmp_path, exit_code)
    assert host.Run(run_request(tmp_path, {"binary": "./prebuilt"})) == expected


def test_a_directory_without_go_files_is_refused_naming_where_it_looked(
    host: language_pb2_grpc.LanguageRuntimeStub, tmp_path: Path
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        host.Run(run_request(tmp_path, {}))
    assert f"Failed to find go files for 'go build' matching {tmp_path}/*.go" in str(refused.value.details())


def test_runtime_options_follow_the_go_host() -> None:
    assert go_options({"binary": "bin/program"}).binary == "bin/program"
    assert go_options({"buildTarget": "out"}).build_target == "out"
    with pytest.raises(GoHostError, match="binary and buildTarget cannot both be specified"):
        go_options({"binary": "a", "buildTarget": "b"})
    with pytest.raises(GoHostError, match="binary option must be a string"):
        go_options({"binary": 1})


def test_a_pseudo_version_names_the_release_before_it() -> None:
    assert normalize_version("v1.29.1-0.20200403140640-efb5e2a48a86") == "v1.29.0"
    assert normalize_version("v2.0.0-beta.1") == "v2.0.0-beta.1"
    assert normalize_version("0.1.0") == "0.1.0"
    with pytest.raises(GoHostError, match="no prior tag"):
        normalize_version("v0.0.0-20200403140640-efb5e2a48a86")


def test_a_module_is_a_package_by_its_pulumi_plugin_json(tmp_path: Path) -> None:
    sdk = tmp_path / "sdk"
    (sdk / "go" / "stripeapps").mkdir(parents=True)
    described = {"resource": True, "name": "stripe-apps", "version": "0.1.0"}
    (sdk / "go" / "stripeapps" / "pulumi-plugin.json").write_text(json.dumps(described))
    found = package_of(
        {"Path": "github.com/pulumi-stripe-apps/pulumi-stripe-apps/sdk", "Version": "v0.0.0", "Dir": str(sdk)}
    )
    assert found is not None and (found.name, found.version, found.kind) == ("stripe-apps", "0.1.0", "resource")
    other = tmp_path / "other"
    other.mkdir()
    assert package_of({"Path": "example.com/library", "Version": "v1.0.0", "Dir": str(other)}) is None
    # Pulumi's own provider modules need no pulumi-plugin.json: the name comes from the path.
    aws = package_of({"Path": "github.com/pulumi/pulumi-aws/sdk/v6", "Version": "v6.1.0", "Dir": str(other)})
    assert aws is not None and (aws.name, aws.version) == ("aws", "v6.1.0")


def test_dependencies_are_installed_with_go_mod_tidy(
    host: language_pb2_grpc.LanguageRuntimeStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOPROXY", "off")  # the missing module below fails at once, without a network lookup
    (tmp_path / "go.mod").write_text("module example.com/program\n\ngo 1.26\n")
    (tmp_path / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n')
    request = language_pb2.InstallDependenciesRequest(info=program_info(tmp_path, {}))
    stdout = b"".join(response.stdout for response in host.InstallDependencies(request)).decode()
    assert stdout == "Installing dependencies...\n\nFinished installing dependencies\n\n"
    (tmp_path / "main.go").write_text('package main\n\nimport "example.com/missing"\n\nfunc main() { missing.F() }\n')
    with pytest.raises(grpc.RpcError) as failed:
        list(host.InstallDependencies(request))
    assert "`go mod tidy` failed to install dependencies" in str(failed.value.details())
