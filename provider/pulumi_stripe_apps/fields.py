"""Per-field diff policy: one table per resource drives `diff` (both fronts) and the generated schema."""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import DiffResult
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN


class Policy(enum.Enum):
    REPLACE = "replace"  # a change makes a new object
    UPDATE = "update"  # a change is applied in place
    IGNORE = "ignore"  # locates inputs or tunes behaviour; never changes the object by itself
    COMPUTED = "computed"  # an output, or an input derived by `check` from other inputs


@dataclass(frozen=True)
class Choices:
    """A closed set of string values: an enum type of the schema (`stripe-apps:index:NAME`) and what `check` allows."""

    name: str
    description: str
    values: tuple[tuple[str, str], ...]  # (value, what it means)

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.values)


MODE = Choices(
    "Mode",
    "Which of the account's environments, and so which API key (`testApiKey`, `sandboxApiKey`, `liveApiKey`), holds "
    "the object.",
    (
        ("test", "Test mode of the account (`testApiKey`)."),
        ("sandbox", "The account's sandbox (`sandboxApiKey`); installs need `sandboxInstallCompatible: true`."),
        ("live", "Live mode (`liveApiKey`): real customers see the app."),
    ),
)
DISTRIBUTION = Choices(
    "Distribution",
    "Who can install the app: the account itself (`private`) or any account through the App Marketplace (`public`).",
    (
        ("private", "Installed on your own account or connected accounts only."),
        ("public", "Listed on the App Marketplace after Stripe's review (live mode only)."),
    ),
)
SECRET_SCOPE = Choices(
    "SecretScope",
    "Who a Secret Store secret belongs to: the whole account or one Dashboard user.",
    (
        ("account", "Readable by the app for every user of the account."),
        ("user", "Readable by the app only for the Dashboard user named by `user`."),
    ),
)
CODE_CHALLENGE_METHOD = Choices(
    "CodeChallengeMethod",
    "How an install's PKCE `codeChallenge` was derived from its code verifier (RFC 7636); Stripe accepts S256 only.",
    (("S256", "BASE64URL(SHA256(code_verifier)), without padding: 43 characters."),),
)
UPLOADER = Choices(
    "Uploader",
    "How an AppVersion is uploaded.",
    (
        ("cli", "The Stripe CLI (`stripe apps upload`), the only uploader Stripe offers; the default on Stripe."),
        ("api", "The local emulator's upload API; the default against the emulator, refused anywhere else."),
    ),
)


@dataclass(frozen=True)
class Field:
    name: str
    policy: Policy
    type: str
    description: str
    example: str = ""  # a value as a user writes it (JSON), shown in the schema's description
    choices: Choices | None = None  # an enum: the schema types the property with it
    secret: bool = False
    required: bool = False
    output: bool = True
    # Derived by `check` from other inputs (a manifest's `version`): diffed by its policy, never set by users.
    derived: bool = False
    # Whether the output may be null; by default optional inputs may be, and computed outputs are always set.
    nullable: bool | None = None
    # A REPLACE field whose value, while unknown at preview, is known to stay what it was (an install's `app`: an
    # AppVersion being replaced keeps its app's app_ id). Diff takes it as unchanged instead of a possible replace.
    same_when_unknown: bool = False

    @property
    def is_input(self) -> bool:
        return self.policy is not Policy.COMPUTED and not self.derived

    @property
    def always_set(self) -> bool:
        if self.nullable is not None:
            return not self.nullable
        return self.required if self.is_input else True


class Change(enum.Enum):
    ADD = "add"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class PropertyChange:
    """One entry of a detailed diff: a top-level property, how it changes, and whether that makes a new object."""

    name: str
    change: Change
    replace: bool = False
    # False when no input changes, only what the provider recorded (drift cleared, the installed version moved).
    input: bool = True


class Diff(DiffResult):
    """What `diff` returns to both fronts: the dynamic host reads `changes`, `replaces` and `delete_before_replace`;
    the native front also returns `properties` as the engine's detailed diff."""

    def __init__(self, properties: Iterable[PropertyChange], *, delete_before_replace: bool = False) -> None:
        self.properties = tuple(properties)
        super().__init__(
            changes=bool(self.properties),
            replaces=[entry.name for entry in self.properties if entry.replace],
            stables=[],
            delete_before_replace=delete_before_replace or self.replaces_itself,
        )

    @property
    def replaces_itself(self) -> bool:
        """No input asks for a new object, so a replace the program forces (`pulumi up --replace`,
        `replaceOnChanges`) would make the same Stripe object again: a secret is set by name and scope, an install
        is created once per account, mode and app. Made before the old one is deleted, the new one would be deleted
        with it; the old one goes first."""
        return not any(entry.replace and entry.input for entry in self.properties)

    def named(self, name: str) -> PropertyChange | None:
        return next((entry for entry in self.properties if entry.name == name), None)


def whole_property(path: str) -> str | None:
    """The top-level property an `ignoreChanges` path names whole (`appDir`, `["appDir"]`, `*`); None for a path
    into one (`requestedAccess.permissions`: the engine has put back that part's old value itself)."""
    quoted = re.fullmatch(r'\["([^"]+)"\]', path)
    if quoted:
        return quoted.group(1)
    return path if re.fullmatch(r"[^.\[\]]+", path) else None


def ignored(name: str, ignore_changes: Collection[str]) -> bool:
    """Whether the program's `ignoreChanges` (top-level names, or `*` for every property) covers `name`."""
    return name in ignore_changes or "*" in ignore_changes


def field_changes(
    table: tuple[Field, ...],
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    ignore_changes: Collection[str] = (),
) -> list[PropertyChange]:
    """The changes of the fields whose policy acts on change (REPLACE, UPDATE); `__` keys never count.

    A value not known yet (preview) is a possible change, so a REPLACE field's is a possible replace (the engine's
    convention), unless the field is `same_when_unknown`. When something acts, inputs that only tune the change
    (IGNORE) and differ are listed too: the update carries them.
    """
    changes: list[PropertyChange] = []
    for field in table:
        if field.policy not in (Policy.REPLACE, Policy.UPDATE) or ignored(field.name, ignore_changes):
            continue
        old, new = olds.get(field.name), news.get(field.name)
        if is_unknown(new) and field.same_when_unknown:
            continue
        if is_unknown(new) or old != new:
            changes.append(PropertyChange(field.name, _kind(old, new), replace=field.policy is Policy.REPLACE))
    return changes


def carried_changes(
    table: tuple[Field, ...], olds: Mapping[str, Any], news: Mapping[str, Any], ignore_changes: Collection[str] = ()
) -> list[PropertyChange]:
    """Inputs that never cause a change (IGNORE) but differ: shown beside a change, which applies them."""
    return [
        PropertyChange(field.name, _kind(olds.get(field.name), news.get(field.name)))
        for field in table
        if field.policy is Policy.IGNORE
        and field.name in news
        and not ignored(field.name, ignore_changes)
        and (is_unknown(news[field.name]) or olds.get(field.name) != news[field.name])
    ]


def _kind(old: Any, new: Any) -> Change:
    if old is None and new is not None:
        return Change.ADD
    if new is None and old is not None:
        return Change.DELETE
    return Change.UPDATE


def public(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if not key.startswith("__")}


def is_unknown(value: object) -> bool:
    """A value the engine will only know at apply time (during preview, from another resource's output)."""
    return isinstance(value, Unknown) or value == UNKNOWN


def shown(value: object, unknown: str, *, prefix: str = "") -> str:
    """A value for a message, after `prefix`; `unknown` names a value not known yet (preview), never its placeholder."""
    return unknown if is_unknown(value) else f"{prefix}{value}"
