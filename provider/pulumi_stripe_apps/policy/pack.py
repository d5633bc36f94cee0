"""The pack's policies (pulumi-policy), their config schemas and enforcement levels, and the Analyzer it serves."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent import futures
from typing import Any

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# pulumi-policy's Analyzer keeps only the stack's tags from ConfigureStack; the secrets rule also needs to know which
# config keys the stack stores encrypted, so the pack serves a subclass of it that records them (see _Analyzer).
from pulumi_policy.policy import _PolicyAnalyzerServicer

from pulumi_stripe_apps.policy import rules

NAME = "stripe-apps-guardrails"
DESCRIPTION = "Guardrails for Stripe App stacks: live installs, promotion, versions, secrets, Marketplace listings"
STACK_TYPE = "pulumi:pulumi:Stack"
MODES = {"type": "array", "items": {"type": "string", "enum": ["test", "sandbox", "live"]}}
STACK_NAMES = {"type": "array", "items": {"type": "string"}}
OUTPUT = {"type": "string", "default": rules.DEFAULT_STACKS_OUTPUT}
MESSAGE_BYTES = 400 * 1024 * 1024  # the engine sends whole stacks to AnalyzeStack


class _StackFacts:
    """What ConfigureStack told the pack beyond its environment: the config keys kept as secrets, the tags."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.secret_keys: frozenset[str] = frozenset()
        self.tags: dict[str, str] = {}

    def stack(self) -> rules.Stack:
        with self._lock:
            return rules.Stack.from_environment(self.secret_keys, self.tags)


FACTS = _StackFacts()


def _config(args: ResourceValidationArgs | StackValidationArgs) -> Mapping[str, Any]:
    return args.get_config() or {}


def _res(resource_type: str, name: str, urn: str, props: Mapping[str, Any], protect: bool) -> rules.Res | None:
    found = rules.kind_of(resource_type)
    return None if found is None else rules.Res(found[0], found[1], name, urn, props, protect)


def _from_args(args: ResourceValidationArgs) -> rules.Res | None:
    return _res(args.resource_type, args.name, args.urn, args.props, bool(args.opts.protect))


def _from_stack(resources: list[PolicyResource]) -> list[rules.Res]:
    """Our resources of a whole stack, each with the uploads its `app` comes from."""
    found = []
    for resource in resources:
        res = _res(resource.resource_type, resource.name, resource.urn, resource.props, bool(resource.opts.protect))
        if res is None:
            continue
        origin = resource.property_dependencies.get(res.field("app")) or resource.dependencies
        sources = [
            source
            for source in (_res(o.resource_type, o.name, o.urn, o.props, bool(o.opts.protect)) for o in origin)
            if source is not None
        ]
        found.append(rules.Res(res.kind, res.native, res.name, res.urn, res.props, res.protect, tuple(sources)))
    return found


def _stack_outputs(resources: list[PolicyResource]) -> Mapping[str, Any]:
    return next((resource.props for resource in resources if resource.resource_type == STACK_TYPE), {})


def live_installs_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    res = _from_args(args)
    message = res and rules.unprotected_live_install(res, _config(args).get("modes") or ["live"])
    if message:
        report(message, None)


def permission_changes_marked(args: ResourceValidationArgs, report: ReportViolation) -> None:
    res = _from_args(args)
    message = res and rules.unmarked_permission_change(res, FACTS.stack(), _config(args))
    if message:
        report(message, None)


def promotion_tested_first(args: StackValidationArgs, report: ReportViolation) -> None:
    config = _config(args)
    publications = rules.published(_stack_outputs(args.resources), config.get("output") or rules.DEFAULT_STACKS_OUTPUT)
    stacks = [str(name) for name in config.get("stacks") or ()]
    for res, message in rules.unpromoted_live_installs(_from_stack(args.resources), publications, stacks):
        report(message, res.urn)


def versions_ascending(args: StackValidationArgs, report: ReportViolation) -> None:
    config = _config(args)
    stack = FACTS.stack()
    publications = rules.published(_stack_outputs(args.resources), config.get("output") or rules.DEFAULT_STACKS_OUTPUT)
    previous = [entry for name, entries in publications.items() if stack.is_named([name]) for entry in entries]
    allow_prerelease = config.get("allowPrerelease", True) is not False
    for res, message in rules.version_problems(_from_stack(args.resources), previous, allow_prerelease):
        report(message, res.urn)


def secrets_guarded(args: ResourceValidationArgs, report: ReportViolation) -> None:
    res = _from_args(args)
    for message in rules.secret_problems(res, FACTS.stack(), _config(args)) if res else ():
        report(message, None)


def public_distribution_allowed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    res = _from_args(args)
    allowed = [str(name) for name in _config(args).get("allowedStacks") or ()]
    message = res and rules.public_distribution(res, FACTS.stack(), allowed)
    if message:
        report(message, None)


POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        name="live-installs-protected",
        description="Live installs are protected, so no update deletes or replaces them by accident.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=live_installs_protected,
        config_schema=PolicyConfigSchema({"modes": {**MODES, "default": ["live"]}}),
    ),
    ResourceValidationPolicy(
        name="permission-changes-marked",
        description="A live install that allows permission changes names the change that approved them.",
        enforcement_level=EnforcementLevel.ADVISORY,
        validate=permission_changes_marked,
        config_schema=PolicyConfigSchema(
            {
                "configKey": {"type": "string", "default": rules.DEFAULT_MARKER_CONFIG},
                "stackTag": {"type": "string"},
                "pattern": {"type": "string", "default": ".+"},
            }
        ),
    ),
    StackValidationPolicy(
        name="promotion-tested-first",
        description="A live install's version is installed in test or a sandbox first.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=promotion_tested_first,
        config_schema=PolicyConfigSchema({"stacks": STACK_NAMES, "output": OUTPUT}),
    ),
    StackValidationPolicy(
        name="versions-ascending",
        description="App versions are semantic versions and never go down for the same app in a stack.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=versions_ascending,
        config_schema=PolicyConfigSchema({"allowPrerelease": {"type": "boolean", "default": True}, "output": OUTPUT}),
    ),
    ResourceValidationPolicy(
        name="secrets-guarded",
        description="App secrets stay encrypted, and expire within the maximum age the policy config sets.",
        enforcement_level=EnforcementLevel.ADVISORY,
        validate=secrets_guarded,
        config_schema=PolicyConfigSchema(
            {"maxAgeDays": {"type": "number", "exclusiveMinimum": 0}, "modes": {**MODES, "default": ["live"]}}
        ),
    ),
    ResourceValidationPolicy(
        name="public-distribution-allowed",
        description="Public distribution (a Marketplace listing) comes only from stacks the policy config allows.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=public_distribution_allowed,
        config_schema=PolicyConfigSchema({"allowedStacks": STACK_NAMES}),
    ),
]


class _Analyzer(_PolicyAnalyzerServicer):
    """pulumi-policy's Analyzer, recording the stack's secret config keys and tags as ConfigureStack gives them."""

    def ConfigureStack(self, request: Any, context: Any) -> Any:  # noqa: N802
        with FACTS._lock:
            FACTS.secret_keys = frozenset(request.config_secret_keys)
            FACTS.tags = dict(request.tags)
        return super().ConfigureStack(request, context)


def analyzer() -> Any:
    """The pack's Analyzer servicer (what `PolicyPack` would build; the version shown is PulumiPolicy.yaml's)."""
    return _Analyzer(NAME, "0.0.1", POLICIES, EnforcementLevel.ADVISORY, None, DESCRIPTION)


def serve() -> None:
    """Serves the pack on a free port and prints it, as pulumi-policy's `PolicyPack` does; runs until stopped."""
    options = [("grpc.max_receive_message_length", MESSAGE_BYTES), ("grpc.max_send_message_length", MESSAGE_BYTES)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(analyzer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()
