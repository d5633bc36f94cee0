"""Ambiguous answers: a stack meets a 404 without a code, a 401, a storm of 5xx or a key of another account in
refresh, update, destroy and import. Each step must fail with Stripe's status, its Request-Id and a fix, and leave
every resource of the stack byte for byte as `pulumi stack export` showed it before; each measurement is one row.

The storm's runs mostly wait out backoffs, so test_ambiguous_answers.py runs them side by side in processes of
their own (`python -m tests.reliability.ambiguous CLASS FRONT SURFACE`), each printing a `ROW {json}` line per
operation and an `END {json}` line with the run's failure, if any.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pulumi
import stripe
from pulumi import automation as auto
from pulumi.automation._stack import ImportResource

from pulumi_stripe_apps import AppInstallation, AppSecret, AppVersion
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from pulumi_stripe_apps.schema import camel, dynamic_type, fields_of, token
from tests.reliability.support import SIZE
from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks
from tests.support.native import MODULES, resource
from tests.support.surfaces import Surface, SurfaceName, serving

Front = Literal["dynamic", "native"]
FRONTS: tuple[Front, ...] = ("dynamic", "native")
CLASSES = ("unrouted", "unauthorized", "storm", "foreign")
# In this order, as a user meets a changed config: `pulumi up` records the providers' config in state, and the
# commands that run no program (refresh, destroy, import) configure the providers from what is recorded there.
OPERATIONS = ("update", "refresh", "destroy", "import")
FIRST, SECOND = "xoxb-first-5c1d9e", "xoxb-second-7a2f0b"
SECRET_NAME = "api_token"
OTHER_PAYLOAD = "xoxb-other-account-3e8d1c"
# Stripe's word for a missing object; on another account's key it holds for that account only (gone.py).
MISSING = "resource_missing"
# Every API route, every request: each call exhausts its retries and fails with the last 500.
STORM_RULES = [{"route": "* /v1/*", "kind": "error_before", "probability": 1.0}]
STORM_SEED = 7
# Keys the emulator never issued: Stripe answers them 401 `Invalid API Key provided`.
UNKNOWN_KEYS = {
    "test": "sk_test_51EmuUnknownKey" + "0" * 26,
    "live": "sk_live_51EmuUnknownKey" + "0" * 26,
    "sandbox": "sk_test_51EmuUnknownSbx" + "0" * 26,
}
KEY_CONFIG = {
    "test": "stripe-apps:testApiKey",
    "live": "stripe-apps:liveApiKey",
    "sandbox": "stripe-apps:sandboxApiKey",
}
# The full size adds an install on a connected account: every call about it carries `Stripe-Account`, so the
# account its key acts for is asked with that header too (gone.py).
CONNECTED = SIZE.name == "full"


# -- the stack --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """What the program declares: the secret's payload, and whether the sandbox install made outside the stack
    is one of its resources (`adopted`)."""

    payload: str = FIRST
    adopt: bool = False


def native_secret(resource_name: str, **args: Any) -> pulumi.CustomResource:
    """The native AppSecret: `tests.support.native.resource` takes the resource's name where AppSecret has `name`."""
    props: dict[str, Any] = {camel(found.name): None for found in fields_of(MODULES["AppSecret"]) if found.output}
    props.update({camel(key): value for key, value in args.items()})
    opts = pulumi.ResourceOptions(
        aliases=[pulumi.Alias(type_=dynamic_type("AppSecret"))], additional_secret_outputs=["payload"]
    )
    return pulumi.CustomResource(token("AppSecret"), resource_name, props, opts)


def program(front: Front, app_dir: Path, declared: Declaration, connected: str | None) -> Callable[[], None]:
    """A version, a test-mode and a live install (with the version's access), a secret; on the full size an install
    on a connected account; with `adopt` the sandbox install that exists (the dynamic front takes it over by
    creating it, the native front declares it once imported)."""

    installs: dict[str, tuple[str, str | None]] = {"billing-test": ("test", None), "billing-live": ("live", None)}
    if connected:
        installs["billing-connected"] = ("test", connected)
    if declared.adopt:
        installs["adopted"] = ("sandbox", None)

    def dynamic() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        for name, (mode, account) in installs.items():
            AppInstallation(
                name,
                app=version.app,
                version=version.version,
                mode=mode,
                account=account,
                sandbox_install_compatible=version.sandbox_install_compatible,
                requested_access=version.requested_access,
            )
        AppSecret("token", name=SECRET_NAME, payload=pulumi.Output.secret(declared.payload), mode="test")

    def native() -> None:
        version: Any = resource("AppVersion", "billing", app_dir=str(app_dir))
        for name, (mode, account) in installs.items():
            resource(
                "AppInstallation",
                name,
                app=version.app,
                version=version.version,
                mode=mode,
                account=account,
                sandbox_install_compatible=version.sandboxInstallCompatible,
                requested_access=version.requestedAccess,
            )
        native_secret("token", name=SECRET_NAME, payload=pulumi.Output.secret(declared.payload), mode="test")

    return dynamic if front == "dynamic" else native


# -- the failure classes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Injection:
    """One failure class as the stack meets it: the stack config while it lasts, Stripe's status and message,
    and what every report must name besides them."""

    name: str
    config: Mapping[str, auto.ConfigValue]
    status: int
    message: str
    names: tuple[str, ...] = ()
    # The account the keys act for (the key of another account), for the import, which records none yet.
    key_accounts: Mapping[str, str] = field(default_factory=dict)
    # Secrets that are not the stack's (id, payload): the other account's, which nothing may touch.
    bystanders: tuple[tuple[str, str], ...] = ()
    # Resources that meet another answer: (status, message) by resource name; status None for a refusal the
    # provider makes before Stripe answers anything about the object (then there is no status or Request-Id to name).
    otherwise: Mapping[str, tuple[int | None, str]] = field(default_factory=dict)

    def answer(self, resource: str) -> tuple[int | None, str, tuple[str, ...]]:
        """The status, message and names a report about `resource` must show."""
        if resource in self.otherwise:
            return (*self.otherwise[resource], ())
        return self.status, self.message, self.names


def injection(name: str, surface: Surface, good: Mapping[str, auto.ConfigValue]) -> Injection:
    config = dict(good)
    if name == "unrouted":
        # The API root with /v1: every call is an unknown route, Stripe's 404 without a code.
        config["stripe-apps:apiBase"] = auto.ConfigValue(surface.emulator.url + "/v1")
        return Injection(
            name, config, 404, "Unrecognized request URL", ("is stripe-apps:apiBase the API root, without /v1?",)
        )
    if name == "unauthorized":
        for mode, key in UNKNOWN_KEYS.items():
            config[KEY_CONFIG[mode]] = auto.ConfigValue(key, secret=True)
        return Injection(name, config, 401, "Invalid API Key provided")
    if name == "storm":
        return Injection(name, config, 500, "An error occurred while processing your request")
    assert name == "foreign", name
    other = surface.control.create_account()
    sandbox = surface.control.create_sandbox(other["account"])
    # The other account holds a secret of the stack's secret's name, as another account running the same app does:
    # the Secret Store finds secrets by name, so only the key's account tells the two apart.
    sdk = stripe.StripeClient(other["test"], base_addresses={"api": surface.emulator.url})
    theirs = sdk.v1.apps.secrets.create({"name": SECRET_NAME, "payload": OTHER_PAYLOAD, "scope": {"type": "account"}})
    for mode, key in (("test", other["test"]), ("live", other["live"]), ("sandbox", sandbox["test"])):
        config[KEY_CONFIG[mode]] = auto.ConfigValue(key, secret=True)
    own = surface.keys["default"]["account"]
    return Injection(
        name,
        config,
        404,
        MISSING,  # the refusal keeps Stripe's code; its message names the two accounts instead of the object
        (own, other["account"]),
        {"test": other["account"], "live": other["account"], "sandbox": sandbox["account"]},
        ((theirs.id, OTHER_PAYLOAD),),
        {
            # Acting on an account connected to ours, another account's key is refused the account itself (a 403).
            "billing-connected": (403, "does not have access to account"),
            # Secrets are found by name: the provider refuses another account's key before it reads, sets or
            # deletes that account's namesake, so Stripe answers nothing about the secret.
            "token": (None, "but this object lives on account"),
        },
    )


@contextmanager
def injected(
    stack: auto.Stack, surface: Surface, found: Injection, good: Mapping[str, auto.ConfigValue]
) -> Iterator[None]:
    """The failure class in force: its stack config and, for the storm, the emulator's faults; afterwards the
    stack's own config and no faults."""
    stack.set_all_config(dict(found.config))
    if found.name == "storm":
        surface.control.set_faults(STORM_SEED, STORM_RULES)
    try:
        yield
    finally:
        surface.control.clear_faults()
        stack.set_all_config(dict(good))


# -- measurements -----------------------------------------------------------------------------------------


def is_provider(res: Mapping[str, Any]) -> bool:
    return str(res["type"]).startswith("pulumi:providers:")


def snapshot(stack: auto.Stack | auto.Deployment) -> dict[str, dict[str, Any]]:
    """Every resource of the stack's export but the providers (their inputs are the config just changed), by URN."""
    deployment = (stack.export_stack() if isinstance(stack, auto.Stack) else stack).deployment or {}
    return {res["urn"]: res for res in deployment.get("resources") or [] if not is_provider(res)}


def put_back(stack: auto.Stack, before: auto.Deployment) -> None:
    """The resources as `before` recorded them, the providers as they are now (configured with the class's config,
    which the next operation must meet too)."""
    now = {res["urn"]: res for res in (stack.export_stack().deployment or {}).get("resources") or []}
    deployment = dict(before.deployment or {})
    deployment["resources"] = [
        now.get(res["urn"], res) if is_provider(res) else res for res in deployment.get("resources") or []
    ]
    stack.import_stack(auto.Deployment(version=before.version, deployment=deployment))


def unread_on_stripe(res: Mapping[str, Any], surface: Surface) -> bool:
    """On Stripe's surface an AppVersion's read makes no request (Stripe has no API to read an upload): it answers
    from state, so no failure can reach it, and the engine records what it answers (its inputs re-derived, the
    time). Its id and outputs must still stay."""
    return surface.is_stripe and str(res["type"]).endswith("AppVersion")


def changes(before: Mapping[str, dict[str, Any]], after: Mapping[str, dict[str, Any]], surface: Surface) -> list[str]:
    """Resources whose exported entry is not byte for byte what it was, with the fields that differ."""
    found = []
    for urn in sorted(set(before) | set(after)):
        name = urn.rsplit("::", 1)[-1]
        old, new = before.get(urn), after.get(urn)
        if old is None or new is None:
            found.append(f"{name}: {'added' if old is None else 'removed'}")
            continue
        if unread_on_stripe(old, surface):
            old, new = _identity(old), _identity(new)
        old, new = _engine_form(old), _engine_form(new)
        if json.dumps(old, sort_keys=True) != json.dumps(new, sort_keys=True):
            fields = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
            outputs = sorted(
                key
                for key in set(old.get("outputs") or {}) | set(new.get("outputs") or {})
                if (old.get("outputs") or {}).get(key) != (new.get("outputs") or {}).get(key)
            )
            found.append(f"{name}: {', '.join(fields)}" + (f" (outputs {', '.join(outputs)})" if outputs else ""))
    return found


def _identity(res: Mapping[str, Any]) -> dict[str, Any]:
    return {"urn": res["urn"], "id": res.get("id"), "outputs": res.get("outputs")}


def _engine_form(res: Mapping[str, Any]) -> dict[str, Any]:
    """The entry without the empty lists of `propertyDependencies`: the engine writes them after `up` and drops
    them at every refresh, whatever the provider answered (a program's dependencies, not the provider's state)."""
    dependencies = {key: urns for key, urns in (res.get("propertyDependencies") or {}).items() if urns}
    return {**res, "propertyDependencies": dependencies or None}


SECTION = re.compile(r"^  (?P<type>\S+) \((?P<name>[^)]+)\):$", re.MULTILINE)
# Our report (errors.py): `ACTION SUBJECT failed: DETAIL [HTTP n, code c, param p, request req_...]`, then `Fix: ...`.
REPORT = re.compile(
    r"^\s*(?:error: |pulumi_stripe_apps\.errors\.StripeAppsError: )(?P<report>[a-z-]+ing .+? failed: .*)$"
    r"(?:\n\s*Fix: (?P<fix>.+)$)?",
    re.MULTILINE,
)
REQUEST = re.compile(r"\brequest (req_[A-Za-z0-9]+)")


@dataclass(frozen=True)
class Report:
    resource: str
    text: str
    fix: str | None


def reports(output: str) -> list[Report]:
    """Our reports in the engine's diagnostics, by the resource they are about."""
    diagnostics = output.split("Diagnostics:", 1)[-1] if "Diagnostics:" in output else ""
    headers = list(SECTION.finditer(diagnostics))
    found = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(diagnostics)
        body = diagnostics[header.end() : end]
        found += [Report(header["name"], match["report"], match["fix"]) for match in REPORT.finditer(body)]
    return found


def without_the_programs_own(output: str) -> str:
    """The output less what the program's Pulumi SDK printed about itself (the `pulumi:pulumi:Stack` diagnostics
    and their progress lines): when the engine stops on a failed step while the program still registers resources,
    the SDK reports those registrations' cancelled gRPC calls with tracebacks of its own, depending on timing. They
    are not a provider's report; each resource's own report is still checked."""
    head, marker, diagnostics = output.partition("Diagnostics:")
    head = "".join(line for line in head.splitlines(keepends=True) if "pulumi:pulumi:Stack" not in line)
    headers = list(SECTION.finditer(diagnostics))
    kept, position = [], 0
    for index, header in enumerate(headers):
        if header["type"] == "pulumi:pulumi:Stack":
            kept.append(diagnostics[position : header.start()])
            position = headers[index + 1].start() if index + 1 < len(headers) else len(diagnostics)
    kept.append(diagnostics[position:])
    return head + marker + "".join(kept)


def report_problems(
    output: str,
    expected: set[str],
    found: Injection,
    fragments: tuple[str, ...],
    answered: Mapping[str, int],
) -> list[str]:
    """Why the output is not the report the rule asks for: every resource in `expected` reports, and every report
    names Stripe's status and message, the Request-Id of a request the API answered with that status, a fix, and
    `fragments` (when empty, the class's names); no traceback but our short reports."""
    problems = [f"a traceback: {problem}" for problem in stray_tracebacks(without_the_programs_own(output))]
    seen = reports(output)
    missing = expected - {report.resource for report in seen}
    if missing:
        problems.append(f"no report for {', '.join(sorted(missing))}")
    for report in seen:
        what = f"{report.resource}: {report.text[:300]}"
        status, message, names = found.answer(report.resource)
        if message not in report.text:
            problems.append(f"not the message {message!r} in {what}")
        if status is not None:
            if f"HTTP {status}" not in report.text:
                problems.append(f"no HTTP {status} in {what}")
            ids = REQUEST.findall(report.text)
            if not ids:
                problems.append(f"no Request-Id in {what}")
            problems += [f"{id_} was not answered {status} in {what}" for id_ in ids if answered.get(id_) != status]
        if not report.fix:
            problems.append(f"no Fix line after {what}")
        full = f"{report.text}\nFix: {report.fix or ''}"
        problems += [f"{name!r} not named in {what}" for name in fragments or names if name not in full]
    return problems


def answered(surface: Surface) -> dict[str, int]:
    """The status the API answered each request with, by Request-Id."""
    return {
        entry["request_id"]: entry["status"] for entry in surface.control.requests() if entry["path"].startswith("/v1/")
    }


# -- one failure class through the four operations ----------------------------------------------------------


@dataclass
class Scenario:
    """One stack on one front and surface, the sandbox install it imports, and the rows it measured."""

    front: Front
    surface: Surface
    engine: EngineSandbox
    app_dir: Path
    connected: str | None = None
    env: Mapping[str, str] | None = None  # the engine's environment beyond the sandbox's
    stack: auto.Stack = field(init=False)
    good: dict[str, auto.ConfigValue] = field(init=False)
    outside: str = field(init=False)  # the sandbox install made with the SDK, outside the stack

    def __post_init__(self) -> None:
        self.good = self.surface.config()
        self.stack = self.engine.inline_stack(self.declare(Declaration()), config=self.good, env=self.env)

    def declare(self, declared: Declaration) -> Callable[[], None]:
        return program(self.front, self.app_dir, declared, self.connected)

    def up(self) -> None:
        self.stack.up()
        app = next(res["outputs"]["app"] for res in snapshot(self.stack).values() if res["type"].endswith("AppVersion"))
        sdk = stripe.StripeClient(
            self.surface.keys["sandbox"]["test"], base_addresses={"api": self.surface.emulator.url}
        )
        self.outside = sdk.v1.apps.installs.create({"app": app, "channel": "private_test"}).id

    @property
    def import_id(self) -> str:
        # The Install API names no version: on Stripe's surface the import id carries it (README, Import).
        return f"sandbox/{self.outside}" + ("@1.0.0" if self.surface.is_stripe else "")

    def expected(self, operation: str) -> set[str]:
        """The resources whose step calls the API in `operation`, so each must report the failure."""
        installs = {"billing-test", "billing-live", *(["billing-connected"] if self.connected else [])}
        if operation == "refresh":
            return installs | {"token"} | (set() if self.surface.is_stripe else {"billing"})
        if operation == "update":
            return {"token"}
        if operation == "destroy":
            return installs | {"token"}
        return {"adopted"}

    def fragments(self, found: Injection, operation: str) -> tuple[str, ...]:
        """What every report of `operation` must name instead of the class's names; () keeps those."""
        if found.name != "foreign" or operation != "import":
            return ()
        # An import records no account yet: the report names the account the key acts for, the sandbox's; the
        # dynamic front's adopting create on the emulator first reads Version History with the test-mode key.
        if self.front == "dynamic" and not self.surface.is_stripe:
            return (found.key_accounts["test"],)
        return (found.key_accounts["sandbox"],)

    def run(self, operation: str) -> None:
        """One operation as a user runs it: the update changes the secret's payload (a `set` on the API); refresh
        and destroy read and delete every resource at once (they run no program: the providers are configured as
        the update recorded them); the import takes over the sandbox install made outside the stack."""
        stack = self.stack
        if operation == "refresh":
            stack.refresh()
        elif operation == "update":
            stack.workspace.program = self.declare(Declaration(payload=SECOND))
            try:
                stack.up()
            finally:
                stack.workspace.program = self.declare(Declaration())
        elif operation == "destroy":
            # Every resource's delete is tried, whatever the first one met, as `pulumi destroy --continue-on-error`.
            stack.destroy(continue_on_error=True)
        elif self.front == "native":
            stack.import_resources(
                resources=[ImportResource(type=token("AppInstallation"), name="adopted", id=self.import_id)],
                protect=False,
                generate_code=False,
            )
        else:
            # Dynamic resources cannot be imported (pulumi/pulumi#16175: the engine's import reaches the dynamic
            # host's Read without the serialized provider). Their way to take over an existing install is the
            # create that adopts it: Stripe's install call returns the install that exists (README, Limits).
            stack.workspace.program = self.declare(Declaration(adopt=True))
            try:
                stack.up()
            finally:
                stack.workspace.program = self.declare(Declaration())

    def measure(self, found: Injection, operation: str) -> dict[str, Any]:
        """Runs `operation` under `found`: the row of what it did to the state and what the user read. A state it
        changed is put back (`pulumi stack import`), so the next operation meets the stack's own."""
        before = self.stack.export_stack()
        output, error = "", ""
        try:
            self.run(operation)
        except auto.CommandError as failure:
            output = str(failure)
        else:
            error = "the operation succeeded"
        changed = changes(snapshot(before), snapshot(self.stack), self.surface)
        if changed:
            put_back(self.stack, before)
        problems = [error] if error else []
        if found.name == "foreign" and operation == "import" and self.front == "dynamic" and not self.surface.is_stripe:
            # The adopting create first reads Version History with the test-mode key: the other account has no
            # upload of the app, and the refusal names that account.
            refusal = (None, "has no completed upload on account")
            found = replace(found, otherwise={**found.otherwise, "adopted": refusal})
        problems += report_problems(
            output, self.expected(operation), found, self.fragments(found, operation), answered(self.surface)
        )
        kept = not changed
        return {
            "class": found.name,
            "operation": operation,
            "front": self.front,
            "surface": self.surface.name,
            "state_kept": kept,
            "reported": not problems,
            "changed": changed,
            "problems": problems[:12],
            "outcome": "passed" if kept and not problems else "failed",
        }

    def converge(self, found: Injection) -> None:
        """The cause gone: nothing changed on the API either (the program plans nothing, and once `up` recorded
        the providers' config again, refresh finds nothing); the install the import could not take over is taken
        over now, the same object; destroy leaves nothing of the stack's, and another account's secret as it was
        (versions stay: Stripe cannot delete them)."""
        stack = self.stack
        stack.preview(expect_no_changes=True)
        stack.up()
        stack.refresh(expect_no_changes=True)
        if self.front == "native":
            stack.import_resources(
                resources=[ImportResource(type=token("AppInstallation"), name="adopted", id=self.import_id)],
                protect=False,
                generate_code=False,
            )
            stack.workspace.program = self.declare(Declaration(adopt=True))
        else:
            stack.workspace.program = self.declare(Declaration(adopt=True))
            stack.up()
        adopted = [stripe_install_id(res["id"]) for res in snapshot(stack).values() if res["urn"].endswith("::adopted")]
        assert adopted == [self.outside]
        stack.preview(expect_no_changes=True)
        stack.destroy()
        assert objects(self.surface.control, "install") == []
        secrets = [(secret["id"], secret["payload"]) for secret in objects(self.surface.control, "secret")]
        assert secrets == list(found.bystanders)


Row = dict[str, Any]


def run_class(
    failure: str, front: Front, surface: Surface, engine: EngineSandbox, root: Path, keep: Callable[[Row], None]
) -> None:
    """A stack of `front` on `surface` meets `failure` in every operation, each row handed to `keep` as soon as it
    is measured; then it converges. Raises AssertionError naming what did not hold."""
    own = surface.keys["default"]["account"]
    connected = surface.control.create_account(connected_to=own)["account"] if CONNECTED else None
    scenario = Scenario(front, surface, engine, write_app(root / "billing"), connected)
    scenario.up()
    found = injection(failure, surface, scenario.good)
    rows = []
    with injected(scenario.stack, surface, found, scenario.good):
        for operation in OPERATIONS:
            rows.append(scenario.measure(found, operation))
            keep(rows[-1])
    failed = [row for row in rows if row["outcome"] != "passed"]
    assert failed == [], json.dumps(failed, indent=1)
    scenario.converge(found)


def unmeasured(failure: str, front: str, surface: str, operation: str, error: str) -> Row:
    """The row of an operation a run never reached: not kept, never counted as kept."""
    return {
        "class": failure,
        "operation": operation,
        "front": front,
        "surface": surface,
        "state_kept": None,
        "reported": None,
        "changed": [],
        "problems": [error[-2000:]],
        "outcome": "error",
    }


ROW, END = "ROW ", "END "


def main(argv: list[str]) -> int:
    failure, front, surface_name = argv
    assert failure in CLASSES and front in FRONTS, argv
    error = None
    with tempfile.TemporaryDirectory(prefix="ambiguous-") as tmp:
        root = Path(tmp)
        name: SurfaceName = "stripe" if surface_name == "stripe" else "full"
        with serving(name, root) as surface:
            try:
                run_class(
                    failure,
                    "native" if front == "native" else "dynamic",
                    surface,
                    EngineSandbox(root / "engine"),
                    root,
                    lambda row: print(ROW + json.dumps(row, sort_keys=True), flush=True),
                )
            except Exception:  # a worker: whatever broke reaches the parent test whole (below)
                error = traceback.format_exc()
    print(END + json.dumps({"error": error}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
