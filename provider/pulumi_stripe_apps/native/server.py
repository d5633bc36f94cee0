"""`pulumi-resource-stripe-apps`: Pulumi's ResourceProvider gRPC protocol in front of the resources' core.

Each RPC turns the engine's Struct (camelCase, secrets marked) into the core's snake_case dict, calls the same
provider object the dynamic resources use (`check`, `diff`, `create`, `read`, `update`, `delete`), and turns the
result back. Blocking Stripe calls run in a thread pool. What the core prints (drift, warnings) reaches the
engine's log for the resource; our errors reach the user as their message alone.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    plugin_pb2,
    provider_pb2,
    provider_pb2_grpc,
    status_pb2,
)

from pulumi_stripe_apps import __version__, made_here, poll
from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.fields import Change, Field, Policy, whole_property
from pulumi_stripe_apps.native.marshal import SECRET_SIG, SIG_KEY, UNKNOWN, Names, is_secret, plain, to_core, to_struct
from pulumi_stripe_apps.resources.app_installation import FIELDS as INSTALL_FIELDS
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from pulumi_stripe_apps.resources.app_secret import FIELDS as SECRET_FIELDS
from pulumi_stripe_apps.resources.app_secret import AppSecretProvider
from pulumi_stripe_apps.resources.app_version import FIELDS as VERSION_FIELDS
from pulumi_stripe_apps.resources.app_version import AppVersionProvider
from pulumi_stripe_apps.schema import CONFIG, PACKAGE, render_schema, token
from pulumi_stripe_apps.settings import load_settings

Reply = TypeVar("Reply")
# The core's providers: each `diff` also takes the program's ignoreChanges and returns the detailed diff.
CoreProvider = AppVersionProvider | AppInstallationProvider | AppSecretProvider
DEFAULT_WORKERS = 32  # the engine's --parallel decides how many calls come at once; the pool never limits it
DIFF = provider_pb2.DiffResponse


@dataclass(frozen=True)
class Kind:
    """One resource type: its core provider, its names and which outputs are secret."""

    provider: CoreProvider
    names: Names
    secret_outputs: frozenset[str]
    inputs: frozenset[str]

    @classmethod
    def of(cls, provider: CoreProvider, fields: tuple[Field, ...]) -> Kind:
        return cls(
            provider,
            Names.of(fields),
            frozenset(field.name for field in fields if field.secret),
            frozenset(field.name for field in fields if field.policy is not Policy.COMPUTED),
        )


class CallOutput(io.TextIOBase):
    """stderr per call: what the core prints during an RPC is collected for the engine's log."""

    def __init__(self, fallback: Any) -> None:
        self._fallback = fallback
        self._local = threading.local()

    def write(self, text: str) -> int:
        collected: list[str] | None = getattr(self._local, "lines", None)
        if collected is None:
            return int(self._fallback.write(text))
        collected.append(text)
        return len(text)

    def flush(self) -> None:
        self._fallback.flush()

    @contextlib.contextmanager
    def collect(self) -> Iterator[list[str]]:
        collected: list[str] = []
        self._local.lines = collected
        try:
            yield collected
        finally:
            self._local.lines = None


class EngineLog:
    """Lines for a resource's diagnostics, through the engine's Log RPC (plain stderr without an engine)."""

    def __init__(self, address: str | None) -> None:
        self._engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address)) if address else None

    def send(self, urn: str, text: str) -> None:
        for line in filter(None, (line.strip() for line in text.splitlines())):
            severity = engine_pb2.WARNING if line.startswith("warning:") else engine_pb2.INFO
            if self._engine is None:
                sys.__stderr__.write(line + "\n") if sys.__stderr__ else None
                continue
            with contextlib.suppress(grpc.RpcError):  # a log line is never worth failing the operation
                self._engine.Log(engine_pb2.LogRequest(severity=severity, message=line, urn=urn))


class StripeAppsProvider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, log: EngineLog, output: CallOutput | None = None) -> None:
        self._log = log
        self._output = output
        # Set by the engine's Cancel; every Create, Update and Delete waits on it (poll.engine_operation).
        self._cancelled = threading.Event()
        self._kinds = {
            token("AppVersion"): Kind.of(AppVersionProvider(), VERSION_FIELDS),
            token("AppInstallation"): Kind.of(AppInstallationProvider(), INSTALL_FIELDS),
            token("AppSecret"): Kind.of(AppSecretProvider(), SECRET_FIELDS),
        }

    # -- the plugin ----------------------------------------------------------------------------------

    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=__version__)

    def GetSchema(
        self, request: provider_pb2.GetSchemaRequest, context: grpc.ServicerContext
    ) -> provider_pb2.GetSchemaResponse:
        return provider_pb2.GetSchemaResponse(schema=render_schema())

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:
        # The engine is stopping (Ctrl-C): waits for Stripe end now and fail their operation. What
        # Stripe made stays; the next `up` finds it (creates are idempotent by design).
        self._cancelled.set()
        return empty_pb2.Empty()

    def CheckConfig(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> Any:
        """Validates a provider's settings at preview and returns them with every key marked secret, so a key given
        to an explicit provider in plain text (a YAML literal) is still encrypted in state."""
        news = json_format.MessageToDict(request.news)
        failures = []
        try:
            load_settings(config_lookup({}, {name: value for name, value in news.items() if not _unknown(value)}))
        except ValueError as error:
            text = str(error)
            key = next((name for name in CONFIG if f"stripe-apps:{name}" in text), "apiBase")
            failures.append(provider_pb2.CheckFailure(property=key, reason=text))
        inputs = struct_pb2.Struct()
        inputs.update({name: _secret_if_key(name, value) for name, value in news.items()})
        return provider_pb2.CheckResponse(inputs=inputs, failures=failures)

    def DiffConfig(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> Any:
        # Settings change how calls are made, never which objects exist: no replace, ever (a key rotated, a timeout
        # raised, even another apiBase: the resources stay, and the next refresh reads them with the new settings).
        olds, news = (
            {name: plain(value) for name, value in json_format.MessageToDict(s).items() if name != "version"}
            for s in (request.old_inputs if request.HasField("old_inputs") else request.olds, request.news)
        )
        changed = sorted(key for key in {*olds, *news} if olds.get(key) != news.get(key))
        return DIFF(changes=DIFF.DIFF_SOME if changed else DIFF.DIFF_NONE, diffs=changed)

    def Configure(
        self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext
    ) -> provider_pb2.ConfigureResponse:
        lookup = config_lookup(dict(request.variables), json_format.MessageToDict(request.args))
        made_here.start_operation()
        for kind in self._kinds.values():
            kind.provider.configure_with(lookup)
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=False, acceptResources=False)

    # -- resources -----------------------------------------------------------------------------------

    def Check(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> Any:
        def check(kind: Kind) -> provider_pb2.CheckResponse:
            olds, _ = to_core(request.olds, kind.names)
            news, secret = to_core(request.news, kind.names)
            result = kind.provider.check(_public(olds), news)
            failures = [
                provider_pb2.CheckFailure(property=kind.names.to_schema.get(f.property, f.property), reason=f.reason)
                for f in result.failures or []
            ]
            inputs = to_struct(result.inputs or news, kind.names, secret | (kind.secret_outputs & kind.inputs))
            return provider_pb2.CheckResponse(inputs=inputs, failures=failures)

        return self._serve(request, context, check)

    def Diff(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> Any:
        def diff(kind: Kind) -> provider_pb2.DiffResponse:
            olds, _ = to_core(request.olds, kind.names)
            news, _ = to_core(request.news, kind.names)
            ignore = {kind.names.to_core.get(name, name) for name in map(whole_property, request.ignoreChanges) if name}
            result = kind.provider.diff(request.id, _public(olds), news, ignore)
            detailed = {
                kind.names.to_schema.get(entry.name, entry.name): provider_pb2.PropertyDiff(
                    kind=_DIFF_KINDS[entry.change, entry.replace], inputDiff=entry.input
                )
                for entry in result.properties
            }
            return DIFF(
                changes=DIFF.DIFF_SOME if result.changes else DIFF.DIFF_NONE,
                replaces=[kind.names.to_schema.get(name, name) for name in result.replaces or []],
                diffs=sorted(detailed),
                detailedDiff=detailed,
                hasDetailedDiff=True,
                deleteBeforeReplace=bool(result.delete_before_replace),
            )

        return self._serve(request, context, diff)

    def Create(self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext) -> Any:
        def create(kind: Kind) -> provider_pb2.CreateResponse:
            props, secret = to_core(request.properties, kind.names)
            with poll.engine_operation("create", request.timeout, self._cancelled):
                result = kind.provider.create(props)
            outs = to_struct(result.outs or {}, kind.names, secret | kind.secret_outputs)
            return provider_pb2.CreateResponse(id=result.id, properties=outs)

        return self._serve(request, context, create)

    def Read(self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext) -> Any:
        def read(kind: Kind) -> provider_pb2.ReadResponse:
            props, secret = to_core(request.properties, kind.names)
            inputs, input_secret = to_core(request.inputs, kind.names)
            importing = not props and not inputs
            id_ = request.id
            if importing:
                id_, props = _import(kind, request.id)
            result = kind.provider.read(id_, _public(props))
            if not result.id:
                if importing:
                    raise StripeAppsError(
                        "importing", request.id, "Stripe has no such object", fix="check the id and the mode"
                    )
                return provider_pb2.ReadResponse()  # gone: the engine plans a create
            hidden = secret | input_secret | kind.secret_outputs
            return provider_pb2.ReadResponse(
                id=result.id,
                properties=to_struct(result.outs or {}, kind.names, hidden),
                inputs=to_struct(result.inputs if result.inputs is not None else inputs, kind.names, hidden),
            )

        return self._serve(request, context, read)

    def Update(self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext) -> Any:
        def update(kind: Kind) -> provider_pb2.UpdateResponse:
            olds, _ = to_core(request.olds, kind.names)
            news, secret = to_core(request.news, kind.names)
            with poll.engine_operation("update", request.timeout, self._cancelled):
                result = kind.provider.update(request.id, _public(olds), news)
            outs = to_struct(result.outs or {}, kind.names, secret | kind.secret_outputs)
            return provider_pb2.UpdateResponse(properties=outs)

        return self._serve(request, context, update)

    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext) -> Any:
        def delete(kind: Kind) -> empty_pb2.Empty:
            props, _ = to_core(request.properties, kind.names)
            with poll.engine_operation("delete", request.timeout, self._cancelled):
                kind.provider.delete(request.id, _public(props))
            return empty_pb2.Empty()

        return self._serve(request, context, delete)

    # -- plumbing ------------------------------------------------------------------------------------

    def _serve(self, request: Any, context: grpc.ServicerContext, call: Callable[[Kind], Reply]) -> Reply:
        """Runs one resource RPC: the type's core, its output to the engine's log, errors as messages."""
        kind = self._kinds.get(_type_of(request))
        if kind is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown resource type {_type_of(request)!r}")
            raise AssertionError("unreachable: abort raises")
        capture: contextlib.AbstractContextManager[list[str]] = (
            self._output.collect() if self._output is not None else contextlib.nullcontext([])
        )
        with capture as printed:
            try:
                return call(kind)
            except StripeAppsError as error:
                if error.made is not None:
                    context.abort_with_status(_init_failed(error, kind, request))
                context.abort(grpc.StatusCode.UNKNOWN, str(error))
            except Exception:
                # Not one of ours: a bug, and its traceback helps whoever reports it.
                context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())
            finally:
                self._log.send(request.urn, "".join(printed))
        raise AssertionError("unreachable: abort raises")


def _init_failed(error: StripeAppsError, kind: Kind, request: Any) -> grpc.Status:
    """The engine's "created, but failed to initialize" (`ErrorResourceInitFailed`): it records the object with
    these outputs, so `destroy` removes it and the next `up` resumes it (an update) instead of losing it."""
    assert error.made is not None
    _, secret = to_core(request.properties, kind.names)
    detail = provider_pb2.ErrorResourceInitFailed(
        id=error.made.resource_id,
        properties=to_struct(error.made.outputs, kind.names, secret | kind.secret_outputs),
        inputs=request.properties,
        reasons=[str(error)],
    )
    status = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=str(error))
    status.details.add().Pack(detail)
    return _Status(grpc.StatusCode.UNKNOWN, str(error), (("grpc-status-details-bin", status.SerializeToString()),))


@dataclass(frozen=True)
class _Status(grpc.Status):  # type: ignore[misc]  # grpc.Status is an abstract record with these three fields
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, bytes], ...]


def _import(kind: Kind, import_id: str) -> tuple[str, dict[str, Any]]:
    """The id and the inputs `read` needs when all the engine has is the id (`pulumi import`)."""
    provider = kind.provider
    if isinstance(provider, AppInstallationProvider):
        return provider.import_props(import_id)
    if isinstance(provider, AppSecretProvider):
        return "", provider.import_props(import_id)
    raise StripeAppsError(
        "importing",
        f"AppVersion {import_id!r}",
        "an AppVersion cannot be rebuilt from Stripe: its app_dir is a local directory",
        fix="declare the AppVersion with its appDir instead; `pulumi up` adopts the existing upload of that "
        "version and content",
    )


_PROPERTY = provider_pb2.PropertyDiff
_DIFF_KINDS = {
    (Change.ADD, False): _PROPERTY.ADD,
    (Change.ADD, True): _PROPERTY.ADD_REPLACE,
    (Change.UPDATE, False): _PROPERTY.UPDATE,
    (Change.UPDATE, True): _PROPERTY.UPDATE_REPLACE,
    (Change.DELETE, False): _PROPERTY.DELETE,
    (Change.DELETE, True): _PROPERTY.DELETE_REPLACE,
}


def _type_of(request: Any) -> str:
    found = getattr(request, "type", "")
    if found:
        return str(found)
    # urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME
    parts = str(request.urn).split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) > 2 else ""


def _public(props: Mapping[str, Any]) -> dict[str, Any]:
    """Without a dynamic resource's leftover `__provider` (a stack moved from the dynamic resources)."""
    return {key: value for key, value in props.items() if not key.startswith("__")}


def _unknown(value: Any) -> bool:
    """A value preview cannot know yet (a key from another resource's output): checked at `up`."""
    return bool(plain(value) == UNKNOWN)


def _secret_if_key(name: str, value: Any) -> Any:
    spec = CONFIG.get(name)
    if spec is None or not spec.secret or is_secret(value) or value is None:
        return value
    return {SIG_KEY: SECRET_SIG, "value": value}


def config_lookup(variables: Mapping[str, str], args: Mapping[str, Any]) -> Callable[[str], object]:
    """Namespaced keys (`stripe-apps:apiBase`) from a provider's inputs, default and explicit providers alike.

    The engine sends them in `args` by their schema names (`apiBase`): an explicit provider's typed as the schema
    says (or as strings, which the Node.js SDK makes of every non-string input), the default provider's stack
    config as strings; `variables` (`stripe-apps:config:apiBase`, all strings) carry the same for engines that
    send no `args`.
    """

    def lookup(key: str) -> object:
        name = key.removeprefix(f"{PACKAGE}:")
        if name in args:
            return plain(args[name])
        return variables.get(f"{PACKAGE}:config:{name}")

    return lookup


def serve(engine: str | None, workers: int, output: CallOutput | None = None) -> tuple[grpc.Server, int]:
    """The plugin's gRPC server on a free loopback port; `output` collects what each call prints."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StripeAppsProvider(EngineLog(engine), output), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def _exit_with_parent(parent: int) -> None:
    """The engine started us; when it is gone (killed), so are we: a plugin must never outlive its engine."""
    stop = threading.Event()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            os._exit(0)


def skip_httpx_command_line() -> None:
    """httpx's package loads its command-line tool when click, rich and pygments are installed (common where
    developers work): ~30 ms of CPU in the first call that makes a request, for a tool this process never runs.
    Marking the module absent makes httpx take the fallback it has for environments without them."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pulumi-resource-stripe-apps")
    parser.add_argument("engine", nargs="?", help="the engine's gRPC address (the engine passes it)")
    parser.add_argument("--logflow", action="store_true")
    parser.add_argument("--logtostderr", action="store_true")
    parser.add_argument("--tracing")
    parser.add_argument("-v", dest="verbosity")
    args, _ = parser.parse_known_args(argv)
    skip_httpx_command_line()
    workers = int(os.environ.get("STRIPE_APPS_PLUGIN_WORKERS", DEFAULT_WORKERS))
    output = CallOutput(sys.stderr)
    sys.stderr = output
    server, port = serve(args.engine, workers, output)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
