"""RunPlugin of the development Python language host, driven over gRPC as the engine drives it (no engine needed)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, language_pb2, language_pb2_grpc

from pulumi_stripe_apps.policy import PACK_DIR
from stripe_apps_devtools.language_host import PythonLanguageHost
from stripe_apps_devtools.run_plugin import RunPluginError, runtime_options


@pytest.fixture
def host() -> Iterator[language_pb2_grpc.LanguageRuntimeStub]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(PythonLanguageHost("", Path("unused")), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield language_pb2_grpc.LanguageRuntimeStub(channel)
    server.stop(grace=None)


def request(directory: Path, kind: str, options: dict[str, object], **fields: object) -> language_pb2.RunPluginRequest:
    struct = struct_pb2.Struct()
    struct.update(options)
    info = language_pb2.ProgramInfo(
        root_directory=str(directory), program_directory=str(directory), entry_point=".", options=struct
    )
    return language_pb2.RunPluginRequest(info=info, kind=kind, **fields)  # type: ignore[arg-type]


def test_a_plugin_directory_runs_its_main_in_the_engines_directory_and_reports_its_exit(
    host: language_pb2_grpc.LanguageRuntimeStub, tmp_path: Path
) -> None:
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "__main__.py").write_text(
        "import os, sys\nprint(sys.argv[1:], os.getcwd(), os.environ['FROM_ENGINE'])\n"
        "print('to stderr', file=sys.stderr)\nsys.exit(3)\n"
    )
    pwd = tmp_path / "project"
    pwd.mkdir()
    # A plugin never runs in the ambient Python: here the virtualenv is this test's own.
    sent = request(plugin, "resource", {"virtualenv": sys.prefix}, args=["--flag", "x"], pwd=str(pwd))
    sent.env.append("FROM_ENGINE=yes")
    responses = list(host.RunPlugin(sent))
    stdout = b"".join(response.stdout for response in responses).decode()
    stderr = b"".join(response.stderr for response in responses).decode()
    assert stdout == f"['--flag', 'x'] {pwd} yes\n"
    assert stderr == "to stderr\n"
    assert [response.exitcode for response in responses if response.WhichOneof("output") == "exitcode"] == [3]


def test_runtime_options_follow_the_go_host() -> None:
    assert runtime_options({}, is_plugin=True) == ("auto", "venv")
    assert runtime_options({}, is_plugin=False) == ("auto", "")
    assert runtime_options({"toolchain": "pip", "virtualenv": ".venv"}, is_plugin=False) == ("pip", ".venv")
    with pytest.raises(RunPluginError, match="unsupported toolchain option: conda"):
        runtime_options({"toolchain": "conda"}, is_plugin=False)


def test_a_policy_pack_starts_behind_the_proxy_with_the_stack_it_was_configured_for(
    host: language_pb2_grpc.LanguageRuntimeStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a virtualenv a pack runs on PULUMI_PYTHON_CMD (else python3 from PATH), as with Pulumi's host.
    monkeypatch.setenv("PULUMI_PYTHON_CMD", sys.executable)
    # The engine passes its address and its whole environment.
    sent = request(PACK_DIR, "analyzer", {"toolchain": "pip"}, pwd=str(tmp_path), args=["127.0.0.1:1"])
    sent.env.extend(f"{key}={value}" for key, value in os.environ.items())
    call = host.RunPlugin(sent)
    try:
        first = next(call)
        port = int(first.stdout.decode().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            analyzer = analyzer_pb2_grpc.AnalyzerStub(channel)
            analyzer.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(engine_address="127.0.0.1:1"))
            analyzer.ConfigureStack(
                analyzer_pb2.AnalyzerStackConfigureRequest(project="guard", stack="prod", organization="acme")
            )
            info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
        assert info.name == "stripe-apps-guardrails"
        assert [policy.name for policy in info.policies] == [
            "live-installs-protected",
            "permission-changes-marked",
            "promotion-tested-first",
            "versions-ascending",
            "secrets-guarded",
            "public-distribution-allowed",
        ]
    finally:
        call.cancel()
