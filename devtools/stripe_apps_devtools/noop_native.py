# ruff: noqa: N802  (gRPC servicer methods carry the protocol's names)
"""`pulumi-resource-noop`: a do-nothing native provider (`noop:index:Thing`), the native front's floor in benchmarks.

It speaks Pulumi's ResourceProvider gRPC protocol with Python grpc, as `pulumi-resource-stripe-apps` does, in a
thread pool of the same size, and stores its inputs as outputs: no call anywhere. The engine finds it through
the launcher `devtools/bin/pulumi-resource-noop` on PATH. With `NOOP_CREATE_LATENCY_MS` set, each Create waits
that long first: the floor of a provider whose create is one request of that latency.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

TOKEN = "noop:index:Thing"
LATENCY_VARIABLE = "NOOP_CREATE_LATENCY_MS"
DIFF = provider_pb2.DiffResponse
# A secret as the engine sends it to a provider that accepts secrets: {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY, SECRET_SIG = rpc._special_sig_key, rpc._special_secret_sig
_NONE = struct_pb2.Value()
# `shape`: what the benchmarked resource recorded, for a YAML floor (the YAML host checks properties against this
# schema) whose state holds at least as much as ours (kept as inputs and outputs alike).
_PROPERTIES = '{"label":{"type":"string"},"shape":{"$ref":"pulumi.json#/Any"}}'
SCHEMA = (
    '{"name":"noop","version":"0.0.1","resources":{"noop:index:Thing":{"inputProperties":'
    + _PROPERTIES
    + ',"properties":'
    + _PROPERTIES
    + "}}}"
)


class NoopProvider(provider_pb2_grpc.ResourceProviderServicer):
    """Every RPC answers from its request alone."""

    def __init__(self, create_latency: float = 0.0) -> None:
        self.create_latency = create_latency

    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version="0.0.1")

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> provider_pb2.GetSchemaResponse:
        return provider_pb2.GetSchemaResponse(schema=SCHEMA)

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def CheckConfig(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> Any:
        return DIFF(changes=DIFF.DIFF_NONE)

    def Configure(self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext) -> Any:
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=False, acceptResources=False)

    def Check(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> Any:
        olds, news = request.olds.fields, request.news.fields
        changed = sorted(key for key in news if key not in olds or not _same(olds[key], news[key]))
        return DIFF(changes=DIFF.DIFF_SOME if changed else DIFF.DIFF_NONE, diffs=changed)

    def Create(self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext) -> Any:
        label = request.properties.fields.get("label", struct_pb2.Value()).string_value
        if self.create_latency:
            time.sleep(self.create_latency)  # the latency being modelled, not a synchronization
        return provider_pb2.CreateResponse(id=f"noop-{label}", properties=request.properties)

    def Read(self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext) -> Any:
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Update(self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext) -> Any:
        return provider_pb2.UpdateResponse(properties=request.news)

    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext) -> Any:
        return empty_pb2.Empty()


def _same(old: struct_pb2.Value, new: struct_pb2.Value) -> bool:
    """Equal values, a secret one equal to its plain value: an output the program declared secret (recorded
    wrapped) against the same input declared plain. Unwrapped only when the values differ as sent."""
    return bool(old == new or _revealed(old) == _revealed(new))


def _revealed(value: struct_pb2.Value) -> struct_pb2.Value:
    fields = value.struct_value.fields if value.HasField("struct_value") else None
    if fields is not None and fields.get(SIG_KEY, _NONE).string_value == SECRET_SIG and "value" in fields:
        return _revealed(fields["value"])
    return value


def _exit_with_parent(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pulumi-resource-noop")
    parser.add_argument("engine", nargs="?")
    parser.parse_known_args(argv)
    # The same pool size as pulumi-resource-stripe-apps, so both fronts' floors serve alike.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    latency = float(os.environ.get(LATENCY_VARIABLE) or 0) / 1000
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(NoopProvider(latency), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
