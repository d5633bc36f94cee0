"""AppSecret: one Secret Store secret of a Stripe App, for the account or for one Dashboard user.

check   name, scope and user, mode and its key, expires_at window, payload present (no HTTP)
diff    name, scope, user or mode change -> replace (another secret); payload or expires_at -> update
create  POST /v1/apps/secrets (set: create or replace, so a retry or an existing secret converges)
        + GET /v1/account (the account the secret lives on, recorded; once per process and key)
read    GET /v1/apps/secrets/find?expand[]=payload (resource_missing on the recorded account: deleted or
        expired -> gone, see gone.py; any other error fails the refresh and keeps the state); payload drift
update  POST /v1/apps/secrets (set replaces the secret; Stripe gives it a new `appsecret_` id, ours stays)
The resource's id is the secret's identity, `MODE/SCOPE/NAME` (SCOPE `account` or `user:usr_...`), the id
`pulumi import` and `.get()` take: Stripe's `appsecret_` id changes on every set. State recorded with that id gets
the identity on its next refresh.
delete  POST /v1/apps/secrets/delete (delete where name and scope); already gone (resource_missing on the
        recorded account) is success
"""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from pulumi_stripe_apps import made_here
from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.fields import MODE, SECRET_SCOPE, Diff, Field, Policy, field_changes, is_unknown
from pulumi_stripe_apps.gone import confirm_gone, key_account, require_account
from pulumi_stripe_apps.resources.base import ConfiguredProvider, after_declaration
from pulumi_stripe_apps.settings import MODES, Mode
from pulumi_stripe_apps.stripe_api import client_for

# A secret as the Secret Store API answers it (`apps.secret`).
Secret = dict[str, Any]
SECRETS_PATH = "/v1/apps/secrets"

SCOPES = SECRET_SCOPE.allowed
USER_PREFIX = "usr_"
MAX_PER_SCOPE = 10
LIMIT_CODE = "secret_limit_exceeded"

# Descriptions and examples are the schema's (camelCase names; the dynamic resource takes the same in snake_case).
FIELDS: tuple[Field, ...] = (
    Field(
        "name",
        Policy.REPLACE,
        "string",
        "The secret's name, unique within its scope; another name is another secret.",
        example='"slack_token"',
        required=True,
    ),
    Field(
        "scope",
        Policy.REPLACE,
        "string",
        "`account` (the default: the whole account) or `user` (one Dashboard user, named by `user`).",
        example='"account"',
        nullable=False,
        choices=SECRET_SCOPE,
    ),
    Field(
        "user",
        Policy.REPLACE,
        "string",
        "The Dashboard user (`usr_...`) who owns the secret, when `scope` is `user`.",
        example='"usr_1NvExampleUser"',
    ),
    Field(
        "mode",
        Policy.REPLACE,
        "string",
        "Which environment's Secret Store holds the secret (and so which API key writes it).",
        example='"test"',
        required=True,
        choices=MODE,
    ),
    Field(
        "payload",
        Policy.UPDATE,
        "string",
        "The secret value; a new one is set in place.",
        example='"xoxb-example-token"',
        secret=True,
        required=True,
    ),
    Field(
        "expires_at",
        Policy.UPDATE,
        "integer",
        "Unix seconds after which Stripe deletes the secret, or null to keep it.",
        example="1767225600",
    ),
    Field("livemode", Policy.COMPUTED, "boolean", "Whether the secret is in live mode.", example="false"),
    Field(
        "created",
        Policy.COMPUTED,
        "integer",
        "When Stripe stored the current payload (unix seconds).",
        example="1735689600",
    ),
    Field(
        "account",
        Policy.COMPUTED,
        "string",
        "The account whose Secret Store holds the secret.",
        example='"acct_1Nv0FGExampleAcct"',
        nullable=True,
    ),
)
OUTPUTS = [field.name for field in FIELDS]
INPUTS = [field.name for field in FIELDS if field.policy is not Policy.COMPUTED]


class AppSecretProvider(ConfiguredProvider):
    """Sets, reads and deletes Secret Store entries; see the module docstring."""

    # -- lifecycle ------------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = {**news, "scope": news.get("scope") or "account"}
        failures = [
            *_check_name(checked.get("name")),
            *_check_scope(checked["scope"], checked.get("user")),
            *self._check_mode(checked.get("mode")),
            *_check_payload(checked.get("payload")),
        ]
        expires_at = checked.get("expires_at")
        if expires_at is not None and not is_unknown(expires_at):
            problem = _expiry_problem(expires_at, time.time())
            if problem:
                failures.append(CheckFailure("expires_at", problem))
            else:
                checked["expires_at"] = int(expires_at)
        return CheckResult(checked, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any], ignore_changes: Collection[str] = ()) -> Diff:
        return Diff(field_changes(FIELDS, olds, news, ignore_changes))

    def create(self, props: dict[str, Any]) -> CreateResult:
        secret, account = self._set(props, "creating")
        return CreateResult(id_=secret_id(props), outs=_outputs(props, secret, account))

    def import_props(self, import_id: str) -> dict[str, Any]:
        """The inputs `read` needs, from an import id `MODE/SCOPE/NAME` (SCOPE: `account` or `user:usr_...`)."""
        parts = import_id.split("/", 2)
        mode = parts[0] if parts else ""
        scope = parts[1] if len(parts) > 1 else ""
        user = scope.removeprefix("user:") if scope.startswith("user:") else None
        if len(parts) != 3 or mode not in MODES or not parts[2] or (scope != "account" and not user):
            raise StripeAppsError(
                "importing",
                f"secret {import_id!r}",
                "the import id is not MODE/SCOPE/NAME",
                fix="use e.g. test/account/slack_token or live/user:usr_123/slack_token",
            )
        return {
            "name": parts[2],
            "mode": mode,
            "scope": "user" if user else "account",
            "user": user,
            "payload": None,
            "expires_at": None,
        }

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with client_for(self.settings(), props["mode"]) as client:
            # Secrets are found by name: another account's key would read that account's namesake.
            require_account(client, props.get("account"), action="reading", subject=_subject(props, id_))
            params = {"name": props["name"], "scope": _scope(props), "expand": ["payload"]}
            try:
                secret: Secret = client.get(
                    f"{SECRETS_PATH}/find", params, action="reading", subject=_subject(props, id_)
                )
            except StripeAppsError as error:
                confirm_gone(error, client, recorded_account=props.get("account"))
                print(f"drift: {_subject(props, id_)} is gone (deleted or expired)", file=sys.stderr)
                return ReadResult(id_="", outs={})
            # A key that may not expand the payload shows none; then the payload cannot be judged.
            live = {
                **{name: props.get(name) for name in INPUTS},
                "payload": props.get("payload") if secret.get("payload") is None else secret["payload"],
                "expires_at": secret.get("expires_at"),
            }
            for name in ("payload", "expires_at"):
                if live[name] != props.get(name):
                    print(f"drift: {_subject(props, secret['id'])}: {name} changed outside this stack", file=sys.stderr)
            # State written before the account was recorded gets it on its first refresh.
            account = props.get("account") or key_account(client)
            return ReadResult(id_=secret_id(props), outs=_outputs(live, secret, account), inputs=live)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        secret, account = self._set(news, "updating", recorded_account=olds.get("account"))
        return UpdateResult(outs=_outputs(news, secret, account))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with client_for(self.settings(), props["mode"]) as client:
            where = {"name": props["name"], "scope": _scope(props)}
            if made_here.was_made(client, secret_id(props)):
                print(
                    f"{_subject(props, id_)} is kept: a resource of this stack set it again in this run (a replace "
                    "or a rename), and Stripe keeps one secret per name and scope",
                    file=sys.stderr,
                )
                return
            require_account(client, props.get("account"), action="deleting", subject=_subject(props, id_))
            try:
                client.post(f"{SECRETS_PATH}/delete", action="deleting", subject=_subject(props, id_), data=where)
            except StripeAppsError as error:
                confirm_gone(error, client, recorded_account=props.get("account"))

    # -- helpers --------------------------------------------------------------------------------------

    def _check_mode(self, mode: Any) -> list[CheckFailure]:
        if is_unknown(mode):
            return []
        if mode not in MODES:
            return [CheckFailure("mode", f"mode is {mode!r}; allowed values: {', '.join(MODES)}")]
        problem = self.settings().key_problem(mode)
        return [CheckFailure("mode", problem)] if problem else []

    def _set(self, props: dict[str, Any], action: str, recorded_account: str | None = None) -> tuple[Secret, str]:
        """Stripe's set is create-or-replace, so running it again after a failure converges. Returns the secret
        and the account whose store holds it; refuses a key of another account than `recorded_account`."""
        mode: Mode = props["mode"]
        params: dict[str, Any] = {
            "name": props["name"],
            "payload": props["payload"],
            "scope": _scope(props),
        }
        if props.get("expires_at") is not None:
            params["expires_at"] = int(props["expires_at"])
        with client_for(self.settings(), mode) as client:
            require_account(client, recorded_account, action=action, subject=_subject(props))
            found: Secret = client.post(
                SECRETS_PATH, action=action, subject=_subject(props), data=params, fix=_secret_fix
            )
            made_here.record(client, secret_id(props))
            return found, key_account(client)


def _check_name(name: Any) -> list[CheckFailure]:
    if is_unknown(name) or (isinstance(name, str) and name.strip()):
        return []
    return [CheckFailure("name", "name is required: the secret's name within its scope, e.g. 'slack_token'")]


def _check_scope(scope: Any, user: Any) -> list[CheckFailure]:
    if is_unknown(scope):
        return []
    if scope not in SCOPES:
        return [CheckFailure("scope", f"scope is {scope!r}; allowed values: account, user")]
    if scope == "account":
        if user is None or is_unknown(user):
            return []
        return [CheckFailure("user", "user is only used with scope='user': remove user, or set scope='user' as well")]
    if user is None or user == "":
        return [CheckFailure("user", "scope='user' needs user: the Dashboard user id (usr_...) that owns the secret")]
    if not is_unknown(user) and (not isinstance(user, str) or not user.startswith(USER_PREFIX)):
        return [CheckFailure("user", f"user is {user!r}; expected a Dashboard user id like {USER_PREFIX}...")]
    return []


def _check_payload(payload: Any) -> list[CheckFailure]:
    if is_unknown(payload) or (isinstance(payload, str) and payload):
        return []
    return [
        CheckFailure(
            "payload", "payload is required: a non-empty string, e.g. pulumi.Output.secret(config.require('...'))"
        )
    ]


def _expiry_problem(expires_at: Any, now: float) -> str | None:
    """Stripe refuses an expiry in the past or more than 100 years ahead; None when it is within."""
    if isinstance(expires_at, bool) or not isinstance(expires_at, int | float) or expires_at != int(expires_at):
        return f"expires_at is {expires_at!r}; expected whole unix seconds, e.g. int(time.time()) + 86400"
    if expires_at <= now:
        return (
            f"expires_at {int(expires_at)} is in the past ({int(now - expires_at)}s ago), so Stripe would refuse "
            "it or the secret has already expired: set a future unix time, or remove expires_at"
        )
    if expires_at > hundred_years_after(now):
        return f"expires_at {int(expires_at)} is more than 100 years ahead; Stripe refuses that: choose a nearer time"
    return None


def _secret_fix(error: StripeAppsError) -> str | None:
    """What to do about a Secret Store refusal; None leaves it to the default fixes."""
    if error.http_status == 403:
        return "give the key the `secret_write` permission (and `secret_read` for refresh), or use a secret key"
    if error.code != LIMIT_CODE:
        return None
    return (
        f"Stripe holds at most {MAX_PER_SCOPE} secrets per scope (the account, or each user) in each mode: "
        "delete a secret you no longer need from this scope, or use scope='user'. When a replace of an "
        "AppSecret meets the limit, set delete_before_replace=True in its ResourceOptions"
    )


def secret_id(props: dict[str, Any]) -> str:
    """The resource's id: what identifies the secret to the Secret Store and its key (mode, scope, name), in the
    import form `MODE/SCOPE/NAME`, so it never changes while the secret is the same secret."""
    scope = f"user:{props['user']}" if props.get("scope") == "user" else "account"
    return f"{props['mode']}/{scope}/{props['name']}"


def _scope(props: dict[str, Any]) -> dict[str, str]:
    if props.get("scope") == "user":
        return {"type": "user", "user": props["user"]}
    return {"type": "account"}


def _subject(props: dict[str, Any], id_: str | None = None) -> str:
    owner = f"user {props.get('user')}" if props.get("scope") == "user" else "the account"
    where = f" ({id_})" if id_ else ""
    return f"secret {props.get('name')!r} of {owner} in {props.get('mode')} mode{where}"


def _outputs(props: dict[str, Any], secret: Secret, account: str | None) -> dict[str, Any]:
    return {
        **{name: props.get(name) for name in INPUTS},
        "livemode": secret["livemode"],
        "created": secret["created"],
        "account": account,
    }


class AppSecret(Resource, module="stripeapps", name="AppSecret"):
    """A secret in a Stripe App's Secret Store; the payload is kept encrypted in Pulumi state."""

    # Outputs, for type checkers only: annotations on the class itself would make the Pulumi SDK evaluate
    # them (`get_type_hints`, uncached) every time a resource's outputs arrive: milliseconds of CPU per resource.
    if TYPE_CHECKING:
        name: pulumi.Output[str]
        scope: pulumi.Output[str]
        user: pulumi.Output[str | None]
        mode: pulumi.Output[str]
        payload: pulumi.Output[str]
        expires_at: pulumi.Output[int | None]
        livemode: pulumi.Output[bool]
        created: pulumi.Output[int]
        account: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        payload: pulumi.Input[str],
        mode: pulumi.Input[str],
        scope: pulumi.Input[str] = "account",
        user: pulumi.Input[str] | None = None,
        expires_at: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(OUTPUTS)
        # A secret input keeps the payload encrypted among the inputs in state even when given as a plain
        # string; the engine re-marks outputs only for secret inputs, so the output is marked as well.
        props.update(
            name=name,
            payload=pulumi.Output.secret(payload),
            mode=mode,
            scope=scope,
            user=user,
            expires_at=expires_at,
        )
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["payload"])
        super().__init__(AppSecretProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret_opts, opts))
        after_declaration()


def hundred_years_after(now: float) -> float:
    """`now` plus 100 calendar years: an expiry "can't be more than 100 years in the future" (docs:
    stripe-apps/store-secrets); from 29 February, 28 February."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    try:
        later = moment.replace(year=moment.year + 100)
    except ValueError:
        later = moment.replace(year=moment.year + 100, day=28)
    return later.timestamp()
