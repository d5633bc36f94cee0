"""The pack's rules over both fronts' resources: each returns the messages a user sees, in the front's own names."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

DYNAMIC_PREFIX = "pulumi-python:dynamic/stripeapps:"
NATIVE_PREFIX = "stripe-apps:index:"
# Semantic Versioning 2.0.0, the regular expression semver.org gives.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
TRIAL_MODES = ("test", "sandbox")
# The stack output through which a program hands the policies what other stacks (or this stack, last time)
# published: {"org/project/stack": [{"app": ..., "version": ..., "mode": ...}, ...]}.
DEFAULT_STACKS_OUTPUT = "stripeAppsStacks"
DEFAULT_MARKER_CONFIG = "changeTicket"
DAY = 86400


class Unknown:
    """A value the engine does not know yet (during preview)."""


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Res:
    """One of our resources as a policy sees it, from either front."""

    kind: str  # AppVersion, AppInstallation, AppSecret
    native: bool
    name: str
    urn: str
    props: Mapping[str, Any]
    protect: bool = False
    # The resources its inputs come from (stack policies only), to tell which upload an install installs.
    sources: Sequence[Res] = field(default_factory=tuple)

    def field(self, snake: str) -> str:
        """The property's name as the program spells it: snake_case (Python) or camelCase (native)."""
        if not self.native:
            return snake
        head, *rest = snake.split("_")
        return head + "".join(part.title() for part in rest)

    def get(self, snake: str) -> Any:
        """The property's value, None when absent, UNKNOWN when not known yet."""
        try:
            return self.props.get(self.field(snake))
        except UnknownValueError:
            return UNKNOWN

    def label(self) -> str:
        return f"{self.kind} {self.name!r}"


def kind_of(resource_type: str) -> tuple[str, bool] | None:
    """(kind, native) for our resource types, None for anything else."""
    for prefix, native in ((DYNAMIC_PREFIX, False), (NATIVE_PREFIX, True)):
        if resource_type.startswith(prefix):
            return resource_type[len(prefix) :], native
    return None


@dataclass(frozen=True)
class Stack:
    """The stack being deployed and its configuration, as the engine gave them to the pack."""

    organization: str = ""
    project: str = ""
    name: str = ""
    config: Mapping[str, str] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, secret_keys: Iterable[str] = (), tags: Mapping[str, str] | None = None) -> Stack:
        """The stack a language host starts a policy pack for (PULUMI_PROJECT, PULUMI_STACK, PULUMI_CONFIG...)."""
        config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
        return cls(
            organization=os.environ.get("PULUMI_ORGANIZATION", ""),
            project=os.environ.get("PULUMI_PROJECT", ""),
            name=os.environ.get("PULUMI_STACK", ""),
            config={str(key): str(value) for key, value in config.items()},
            secret_keys=frozenset(secret_keys),
            tags=dict(tags or {}),
        )

    @property
    def qualified(self) -> str:
        return "/".join(part for part in (self.organization, self.project, self.name) if part)

    def is_named(self, names: Iterable[str]) -> bool:
        """Whether any of names is this stack: `org/project/stack`, `project/stack` or `stack`."""
        own = {self.qualified, f"{self.project}/{self.name}", self.name}
        return any(str(name) in own for name in names)

    def config_key(self, key: str) -> str:
        return key if ":" in key else f"{self.project}:{key}"


def semver(version: str) -> tuple[int, int, int, tuple[Any, ...]] | None:
    """A sortable key of a semantic version (prereleases before their release), None when not one."""
    found = SEMVER.match(version)
    if found is None:
        return None
    major, minor, patch, pre = found.group(1), found.group(2), found.group(3), found.group(4)
    pre_key: tuple[Any, ...] = (
        (1,) if pre is None else (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    )
    return int(major), int(minor), int(patch), pre_key


# --- live installs are protected -------------------------------------------------------------------------------
def unprotected_live_install(res: Res, modes: Sequence[str]) -> str | None:
    mode = res.get("mode")
    if res.kind != "AppInstallation" or mode not in modes or res.protect:
        return None
    how = "options: {protect: true}" if res.native else "opts=pulumi.ResourceOptions(protect=True)"
    return (
        f"{res.label()} installs in {mode} mode without protect: set the resource option protect ({how}), so no "
        "update can delete or replace it by accident"
    )


# --- permission changes carry a reviewer-visible marker ---------------------------------------------------------
def unmarked_permission_change(res: Res, stack: Stack, config: Mapping[str, Any]) -> str | None:
    if res.kind != "AppInstallation" or res.get("mode") != "live" or res.get("allow_permission_changes") is not True:
        return None
    key = stack.config_key(str(config.get("configKey") or DEFAULT_MARKER_CONFIG))
    tag = config.get("stackTag")
    pattern = str(config.get("pattern") or ".+")
    candidates = [(f"stack config {key}", stack.config.get(key))]
    if tag:
        candidates.append((f"stack tag {tag}", stack.tags.get(str(tag))))
    for _, value in candidates:
        if value and re.fullmatch(pattern, value):
            return None
    found = [f"{where} is {value!r}, which does not match {pattern!r}" for where, value in candidates if value]
    short = key.split(":", 1)[1] if key.startswith(f"{stack.project}:") else key
    where = f"stack config {key}" + (f" or stack tag {tag}" if tag else "")
    return (
        f"{res.label()} sets {res.field('allow_permission_changes')} in live mode without a change marker"
        + (f" ({'; '.join(found)})" if found else "")
        + f": name the change that approved the new access in {where} (pulumi config set {short} CHG-1234)"
    )


# --- promotion: a live version has been installed in test or a sandbox first -----------------------------------
def app_keys(res: Res) -> set[str]:
    """What identifies the app an install installs: its `app` when known, and the manifest id of the upload
    its `app` comes from (known at preview even when the `app_...` id is not)."""
    keys = set()
    app = res.get("app")
    if isinstance(app, str):
        keys.add(app)
    for source in res.sources:
        if source.kind == "AppVersion":
            for name in ("app_id", "app"):
                value = source.get(name)
                if isinstance(value, str):
                    keys.add(value)
    return keys


def published(stack_outputs: Mapping[str, Any], output: str) -> dict[str, list[Mapping[str, Any]]]:
    """The publications a program handed over in its stack output `output`: stack name -> entries."""
    try:
        value = stack_outputs.get(output)
    except UnknownValueError:
        return {}
    if not isinstance(value, Mapping):
        return {}
    found: dict[str, list[Mapping[str, Any]]] = {}
    for name in value:
        try:
            entries = value[name]
            found[str(name)] = [entry for entry in entries or () if isinstance(entry, Mapping)]
        except (UnknownValueError, TypeError):
            continue
    return found


def _entry(entry: Mapping[str, Any], name: str) -> Any:
    try:
        return entry.get(name)
    except UnknownValueError:
        return UNKNOWN


def unpromoted_live_installs(
    resources: Sequence[Res], publications: Mapping[str, Sequence[Mapping[str, Any]]], stacks: Sequence[str]
) -> list[tuple[Res, str]]:
    installs = [res for res in resources if res.kind == "AppInstallation"]
    tried: list[tuple[set[str], str]] = [
        (app_keys(res), res.get("version")) for res in installs if res.get("mode") in TRIAL_MODES
    ]
    for stack_name, entries in publications.items():
        if stack_name in stacks:
            tried.extend(
                ({str(_entry(e, "app"))}, _entry(e, "version")) for e in entries if _entry(e, "mode") in TRIAL_MODES
            )
    found = []
    for res in installs:
        version, keys = res.get("version"), app_keys(res)
        if res.get("mode") != "live" or not isinstance(version, str) or not keys:
            continue
        if any(keys & apps and version == tried_version for apps, tried_version in tried):
            continue
        named = ", ".join(stacks) if stacks else "none"
        app = sorted(keys)[-1]
        found.append(
            (
                res,
                f"{res.label()} installs version {version} of {app} in live mode, but no install of that version in "
                "test or sandbox mode is declared in this stack or published by a stack the policy config names "
                f"({named}): install it in test or a sandbox first",
            )
        )
    return found


# --- versions are semantic versions and never go down -----------------------------------------------------------
def version_problems(
    resources: Sequence[Res], previous: Sequence[Mapping[str, Any]], allow_prerelease: bool
) -> list[tuple[Res, str]]:
    """Invalid versions, and versions below what this stack recorded or published before for the same app."""
    found = []
    for res in resources:
        if res.kind not in ("AppVersion", "AppInstallation"):
            continue
        version = res.get("version")
        if not isinstance(version, str):
            continue
        key = semver(version)
        if key is None or (not allow_prerelease and "-" in version.split("+")[0]):
            what = (
                "a semantic version" if key is None else "a release version (the policy config disallows prereleases)"
            )
            found.append(
                (
                    res,
                    f"{res.label()} declares version {version!r}, which is not {what}: "
                    "use MAJOR.MINOR.PATCH, e.g. 1.4.0",
                )
            )
            continue
        floor = _highest_before(res, previous)
        if floor is not None and key < floor[0]:
            found.append(
                (
                    res,
                    f"{res.label()} declares version {version}, below {floor[1]} that {floor[2]}: versions never go "
                    "down; to roll back, upload the old content again under a new, higher version",
                )
            )
    return found


def _highest_before(res: Res, previous: Sequence[Mapping[str, Any]]) -> tuple[Any, str, str] | None:
    candidates: list[tuple[Any, str, str]] = []
    recorded = res.get("installed_version") if res.kind == "AppInstallation" else None
    if isinstance(recorded, str) and semver(recorded) is not None:
        candidates.append((semver(recorded), recorded, "this install has"))
    keys = app_keys(res) if res.kind == "AppInstallation" else {v for v in (res.get("app_id"),) if isinstance(v, str)}
    mode = res.get("mode")
    for entry in previous:
        version = _entry(entry, "version")
        if str(_entry(entry, "app")) not in keys or not isinstance(version, str) or semver(version) is None:
            continue
        # An install compares with its own mode; an upload with every install of the app.
        if res.kind == "AppInstallation" and _entry(entry, "mode") != mode:
            continue
        candidates.append((semver(version), version, "this stack published before"))
    return max(candidates, key=lambda candidate: candidate[0]) if candidates else None


# --- secrets ---------------------------------------------------------------------------------------------------
def secret_problems(res: Res, stack: Stack, config: Mapping[str, Any], now: float | None = None) -> list[str]:
    if res.kind != "AppSecret":
        return []
    problems = []
    payload = res.get("payload")
    if isinstance(payload, str) and payload:
        plain = sorted(key for key, value in stack.config.items() if value == payload and key not in stack.secret_keys)
        if plain:
            short = plain[0].split(":", 1)[1] if plain[0].startswith(f"{stack.project}:") else plain[0]
            problems.append(
                f"{res.label()} takes its payload from stack config {plain[0]}, which is stored in plain text: "
                f"set it as a secret (pulumi config set --secret {short})"
            )
    max_age = config.get("maxAgeDays")
    modes = config.get("modes") or ["live"]
    if isinstance(max_age, int | float) and not isinstance(max_age, bool) and res.get("mode") in modes:
        expires_at, name = res.get("expires_at"), res.field("expires_at")
        ahead = max_age * DAY
        if expires_at is None:
            problems.append(
                f"{res.label()} in {res.get('mode')} mode has no {name}, and the policy config sets a maximum age of "
                f"{max_age:g} days: set {name} to unix seconds at most {max_age:g} days ahead"
            )
        elif isinstance(expires_at, int | float) and expires_at > (time.time() if now is None else now) + ahead:
            problems.append(
                f"{res.label()} in {res.get('mode')} mode has {name} beyond the maximum age of {max_age:g} days that "
                "the policy config sets: let it expire sooner and rotate it"
            )
    return problems


# --- public distribution only from allowed stacks --------------------------------------------------------------
def public_distribution(res: Res, stack: Stack, allowed: Sequence[str]) -> str | None:
    if res.kind != "AppInstallation" or res.get("distribution") != "public" or stack.is_named(allowed):
        return None
    listed = ", ".join(allowed) if allowed else "none"
    return (
        f"{res.label()} sets distribution 'public' (a Marketplace listing) from stack {stack.qualified}, which the "
        f"policy config does not allow (allowedStacks: {listed}): keep distribution 'private' here"
    )
