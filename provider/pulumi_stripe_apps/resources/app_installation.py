"""AppInstallation: an app installed in test mode, a sandbox or live mode, on its own account or a connected one.

check   mode, distribution and key are valid; sandbox needs a sandbox-compatible version (no HTTP);
        on Stripe's public surface `public` distribution is refused (Dashboard only) and a live
        install needs the version's requested_access for its permission gate
diff    the field table: app, mode or distribution change -> replace (new install first; private ->
        public uninstalls first); version change or drift -> update
create  version rule (emulator: GET /v1/apps/uploads?app=), POST /v1/apps/installs (returns an existing
        install when nothing is pending), GET /v1/apps/installs/:id until installed
        public: POST /v1/apps/apps/:id/submit_for_review (emulator only; the Dashboard on Stripe)
read    GET /v1/apps/installs/:id (resource_missing on the recorded account -> gone, see gone.py; any other
        error fails the refresh and keeps the state); pending access, status and (emulator) Version History
        -> drift
update  version rule, permission gate in live (declared access vs *_granted), POST
        /v1/apps/installs/:id (reauthorize), wait
delete  POST /v1/apps/installs/:id/uninstall, GET until resource_missing; already gone (resource_missing on the
        recorded account) is success, anything else fails the destroy and keeps the install
On a connected account (`account`) every call carries `Stripe-Account`, and installs use channel=public.
The resource's id is `MODE/[ACCOUNT/]appinst_...`, the id `pulumi import` and `.get()` take (add `@VERSION` where
Version History cannot be read): no version in it, since an upgrade keeps the install and its `appinst_` id. State
recorded with the bare `appinst_` id still works and gets this form on its next refresh.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
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
from pulumi_stripe_apps.errors import OperationCancelledError, PollTimeoutError, StripeAppsError, upload_key_fix
from pulumi_stripe_apps.fields import (
    CODE_CHALLENGE_METHOD,
    DISTRIBUTION,
    MODE,
    Change,
    Diff,
    Field,
    Policy,
    PropertyChange,
    carried_changes,
    field_changes,
    ignored,
    is_unknown,
    public,
    shown,
)
from pulumi_stripe_apps.gone import confirm_gone, is_missing, key_account
from pulumi_stripe_apps.poll import wait_until
from pulumi_stripe_apps.resources.base import ConfiguredProvider, after_declaration
from pulumi_stripe_apps.settings import MODES, Mode, Settings
from pulumi_stripe_apps.stripe_api import client_for
from pulumi_stripe_apps.uploads import Upload, Uploader, open_http, uploader_for

if TYPE_CHECKING:
    from pulumi_stripe_apps.http import StripeHttp

# An install as the Install API answers it (`apps.install`).
Install = dict[str, Any]
INSTALLS_PATH = "/v1/apps/installs"

DISTRIBUTIONS = DISTRIBUTION.allowed
CHANNELS: dict[Mode, str] = {"test": "private_test", "sandbox": "private_test", "live": "private_live"}
# An app's developer installs it on a connected account on the public channel (docs: api/apps/installs).
CONNECTED_CHANNEL = "public"
# RFC 7636 section 4.2: with S256 the challenge is BASE64URL(SHA256(verifier)), unpadded, so exactly 43 characters.
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
MARKETPLACE_PREFIX = "marketplace:"
PUBLIC_DISTRIBUTION_STEPS = (
    "publishing on the App Marketplace has no public Stripe API (the Dashboard only), so this stack cannot do it "
    "and changes nothing. In the Dashboard: uninstall the app from live mode, then submit it for review (Apps > "
    "your app > Publish). Keep distribution='private' here until it is listed"
)

# Descriptions and examples are the schema's (camelCase names; the dynamic resources take the same in snake_case).
FIELDS: tuple[Field, ...] = (
    Field(
        "app",
        Policy.REPLACE,
        "string",
        "The app object id (`app_...`), usually an AppVersion's `app`. Another app replaces the install; while "
        "preview cannot know it yet (its AppVersion is being replaced), it is the same app, whose id never changes.",
        example='"app_1NfPz2ExampleApp"',
        required=True,
        same_when_unknown=True,
    ),
    Field(
        "version",
        Policy.UPDATE,
        "string",
        "The version that must be installed, usually an AppVersion's `version`; a new one upgrades the install in "
        "place.",
        example='"1.2.0"',
        required=True,
    ),
    Field("mode", Policy.REPLACE, "string", MODE.description, example='"live"', required=True, choices=MODE),
    Field(
        "distribution",
        Policy.REPLACE,
        "string",
        "`private` (the default) installs the app; `public` submits it for the App Marketplace (live mode only, "
        "deleting the private live install first).",
        example='"private"',
        nullable=False,
        choices=DISTRIBUTION,
    ),
    Field(
        "account",
        Policy.REPLACE,
        "string",
        "A connected account (`acct_...`) to install the app on with `Stripe-Account`; omit it for your own account.",
        example='"acct_1Nv0FGExampleAcct"',
    ),
    Field(
        "code_challenge",
        Policy.UPDATE,
        "string",
        "For an OAuth app (`stripe_api_access_type: oauth`) installed on a connected account (`account`): the PKCE "
        "code challenge, BASE64URL(SHA256(code verifier)), for which Stripe issues the install's `authCode`. A new "
        "challenge asks Stripe for a new code in place (the install stays).",
        example='"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"',
    ),
    Field(
        "code_challenge_method",
        Policy.IGNORE,
        "string",
        "How `codeChallenge` was derived; `S256` (the only method Stripe accepts, and the default with a challenge).",
        example='"S256"',
        choices=CODE_CHALLENGE_METHOD,
    ),
    Field(
        "allow_permission_changes",
        Policy.IGNORE,
        "boolean",
        "Allow a live upgrade to grant access the install does not hold yet; without it `pulumi up` refuses such an "
        "upgrade and names the new access.",
        example="true",
        nullable=False,
    ),
    Field(
        "sandbox_install_compatible",
        Policy.IGNORE,
        "boolean",
        "The AppVersion's `sandboxInstallCompatible`; a sandbox install of a version without it fails at preview.",
        example="true",
    ),
    Field(
        "requested_permissions",
        Policy.IGNORE,
        "array",
        "The AppVersion's `permissions`; lets preview name the permissions a live upgrade would add.",
        example='["customer_read", "invoice_write"]',
    ),
    Field(
        "requested_access",
        Policy.IGNORE,
        "object",
        "The AppVersion's `requestedAccess`; the live permission gate compares it with what the install holds.",
        example='{"permissions": ["customer_read"], "connect_src": ["https://api.example.com/"]}',
    ),
    Field(
        "status",
        Policy.COMPUTED,
        "string",
        "Stripe's install status, or the Marketplace review status when `distribution` is `public`.",
        example='"installed"',
    ),
    Field("channel", Policy.COMPUTED, "string", "The install's channel.", example='"private_live"'),
    Field("livemode", Policy.COMPUTED, "boolean", "Whether the install is in live mode.", example="true"),
    Field(
        "installed_account",
        Policy.COMPUTED,
        "string",
        "The account the app is installed on.",
        example='"acct_1Nv0FGExampleAcct"',
    ),
    Field(
        "installed_version",
        Policy.COMPUTED,
        "string",
        "The version installed, as far as Stripe shows; refresh records a version Stripe moved the install to.",
        example='"1.2.0"',
    ),
    Field(
        "permissions_granted",
        Policy.COMPUTED,
        "array",
        "Permissions the install holds.",
        example='["customer_read"]',
    ),
    Field(
        "permissions_pending",
        Policy.COMPUTED,
        "array",
        "Permissions awaiting the account's approval.",
        example='["invoice_write"]',
    ),
    Field(
        "approval_required",
        Policy.COMPUTED,
        "boolean",
        "Whether access is waiting for the account's approval.",
        example="false",
    ),
    Field(
        "auth_code",
        Policy.COMPUTED,
        "string",
        "The authorization code Stripe issued for `codeChallenge` (OAuth apps on a connected account), to exchange "
        "with the code verifier; null without a challenge. Always a secret.",
        example='"ac_Nv0FGExampleAuthorizationCode"',
        secret=True,
        nullable=True,
    ),
    Field(
        "drift",
        Policy.COMPUTED,
        "array",
        "What refresh found different from the declared state; the next update clears it.",
        example='["status is install_failed, not installed"]',
    ),
)
OUTPUTS = [field.name for field in FIELDS]
INPUTS = [field.name for field in FIELDS if field.policy is not Policy.COMPUTED]


class AppInstallationProvider(ConfiguredProvider):
    """Installs, upgrades and uninstalls through the Install API; see the module docstring."""

    # -- lifecycle ------------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        checked = {**news, "distribution": news.get("distribution") or "private"}
        checked["allow_permission_changes"] = bool(news.get("allow_permission_changes"))
        mode = checked.get("mode")
        distribution = checked["distribution"]
        if is_unknown(mode):
            pass  # checked when `up` knows it (another resource's output)
        elif mode not in MODES:
            failures.append(CheckFailure("mode", f"mode is {mode!r}; allowed values: {', '.join(MODES)}"))
        else:
            problem = self.settings().key_problem(mode)  # before the surface checks: keys come first
            if problem:
                failures.append(CheckFailure("mode", problem))
        if is_unknown(distribution):
            pass
        elif distribution not in DISTRIBUTIONS:
            failures.append(CheckFailure("distribution", f"distribution is {distribution!r}; allowed: private, public"))
        elif distribution == "public" and mode in ("test", "sandbox"):
            failures.append(
                CheckFailure(
                    "distribution",
                    "public distribution is a live-mode Marketplace listing; in test mode and sandboxes your "
                    "own app installs privately: set distribution='private' for this install",
                )
            )
        settings = self.settings()
        problem = settings.uploader_problem()
        if problem:
            failures.append(CheckFailure("version", problem))
        # The surface is asked for only when a decision needs it (a handshake, once per process).
        if distribution == "public" and settings.surface == "public":
            failures.append(CheckFailure("distribution", PUBLIC_DISTRIBUTION_STEPS))
        if (
            mode == "live"
            and checked.get("requested_access") is None
            and checked.get("requested_permissions") is None
            and settings.surface == "public"
        ):
            failures.append(
                CheckFailure(
                    "requested_access",
                    "a live install on Stripe needs the version's access for its permission gate (Stripe shows no "
                    "Version History to read it from): pass requested_access=version.requested_access",
                )
            )
        if olds.get("distribution") == "public" and distribution == "private":
            failures.append(
                CheckFailure(
                    "distribution",
                    "a public app cannot go back to private: delisting from the Marketplace needs Stripe "
                    "support. Keep distribution='public', or publish a new private app under a new id",
                )
            )
        if mode == "sandbox" and checked.get("sandbox_install_compatible") is False:
            failures.append(
                CheckFailure(
                    "mode",
                    "sandboxes only install versions whose stripe-app.json sets "
                    "`sandbox_install_compatible: true`; set it, bump `version`, and upload again",
                )
            )
        app = checked.get("app")
        if is_unknown(app):
            pass  # known at apply time, once the AppVersion exists
        elif not isinstance(app, str) or not app:
            failures.append(CheckFailure("app", "app is required: the app object id, e.g. AppVersion.app"))
        elif not app.startswith("app_"):
            failures.append(
                CheckFailure("app", f"app is {app!r}; expected an app object id like app_... (AppVersion.app)")
            )
        failures += _check_account(checked.get("account"), mode, distribution)
        failures += _check_pkce(checked)
        version = checked.get("version")
        if not is_unknown(version) and (not isinstance(version, str) or not version):
            failures.append(CheckFailure("version", "version is required, e.g. AppVersion.version"))
        return CheckResult(checked, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any], ignore_changes: Collection[str] = ()) -> Diff:
        if "installed_account" not in olds:
            # State written before `account` became an input held the installing account there: own account.
            olds = {**olds, "account": None}
        changes = field_changes(FIELDS, olds, news, ignore_changes)
        version = news.get("version")
        installed = olds.get("installed_version") or olds.get("version")
        if not changes and not ignored("installed_version", ignore_changes) and version != installed:
            # Refresh found another version installed than the one declared: the update installs the declared one.
            changes.append(PropertyChange("installed_version", Change.UPDATE, input=False))
        if olds.get("drift") and not ignored("drift", ignore_changes):
            changes.append(PropertyChange("drift", Change.DELETE, input=False))
        if changes:
            changes += carried_changes(FIELDS, olds, news, ignore_changes)
        # private -> public: the live install must be gone before the app may be published.
        delete_first = any(change.replace and change.name == "distribution" for change in changes)
        found = Diff(changes, delete_before_replace=delete_first)
        if not found.replaces and (found.named("version") or found.named("installed_version")):
            _announce_new_access(olds, news)
        return found

    def create(self, props: dict[str, Any]) -> CreateResult:
        with contextlib.ExitStack() as scope:
            settings = self.settings()
            mode: Mode = props["mode"]
            if props["distribution"] == "public":
                return self._publish(settings, props)
            uploader = scope.enter_context(uploader_for(settings))
            newest = _enforce_version_rule(uploader, props)
            if mode == "sandbox" and newest is not None and not newest.sandbox_install_compatible:
                raise StripeAppsError(
                    "installing",
                    f"{props['app']}@{props['version']} in a sandbox",
                    "this version does not set `sandbox_install_compatible: true`",
                    fix="set it in stripe-app.json, bump `version`, and run `pulumi up` again",
                )
            api = InstallApi(scope.enter_context(client_for(settings, mode)), props.get("account"))
            subject = _subject(props)
            channel = CONNECTED_CHANNEL if props.get("account") else CHANNELS[mode]
            install = api.create(subject, {"app": props["app"], "channel": channel, **_pkce_params(props)})
            resource_id = install_resource_id(mode, props.get("account"), install["id"])
            try:
                install = self._wait_installed(api, settings, install, subject)
            except (PollTimeoutError, OperationCancelledError) as stopped:
                # Stripe is still installing: the install is this resource's from now on.
                raise stopped.having_made(resource_id, self._outputs(props, install, newest)) from None
            _refuse_ungranted(install, props, subject)
            outs = self._outputs(props, install, newest)
            _warn_no_auth_code(props, outs, subject)
            _warn_drift(outs, _subject(props, install["id"]))
            return CreateResult(id_=resource_id, outs=outs)

    def import_props(self, import_id: str) -> tuple[str, dict[str, Any]]:
        """The install's id and the inputs `read` needs, from an import id `MODE/[ACCOUNT/]ID[@VERSION]`.

        The Install API names no version: without `@VERSION` it is the newest completed upload, which only
        the emulator's Version History shows. The declared access is what the install holds now.
        """
        path, _, version = import_id.partition("@")
        parts = path.split("/")
        mode, account = parts[0], (parts[1] if len(parts) == 3 else None)
        if len(parts) not in (2, 3) or mode not in MODES or not parts[-1]:
            raise StripeAppsError(
                "importing",
                f"install {import_id!r}",
                "the import id is not MODE/[ACCOUNT/]ID[@VERSION]",
                fix="use e.g. live/appinst_123, test/acct_456/appinst_test_789 or live/appinst_123@1.2.0",
            )
        with contextlib.ExitStack() as scope:
            settings = self.settings()
            api = InstallApi(scope.enter_context(client_for(settings, mode)), account)
            try:
                install = api.retrieve("importing", f"install {parts[-1]} in {mode} mode", parts[-1])
            except StripeAppsError as error:
                raise api.on_which_account(
                    error,
                    "check the id and the mode in the import id, and that the mode's key is the key of the "
                    "account the install is on",
                ) from None
            if not version:
                uploader = scope.enter_context(uploader_for(settings))
                newest = _newest_completed(uploader.history(install["app"])) if uploader.can_list else None
                if newest is None:
                    raise StripeAppsError(
                        "importing",
                        f"install {install['id']}",
                        "Stripe shows no installed version and Version History cannot be read here",
                        fix=f"name the installed version in the import id: {import_id}@VERSION",
                    )
                if any(_pending(install).values()):
                    # Stripe moves an install to a newer upload unless it asks for access not granted: this one
                    # stopped at an older version, which nothing names.
                    raise StripeAppsError(
                        "importing",
                        f"install {install['id']}",
                        f"the install has access pending, so it runs a version older than the newest upload "
                        f"({newest.version}), and Stripe does not say which",
                        fix=f"name the installed version in the import id: {import_id}@VERSION (the app's Version "
                        "History in the Dashboard shows the versions)",
                    )
                version = newest.version
        granted = _granted(install)
        props = {
            "app": install["app"],
            "version": version,
            "mode": mode,
            "distribution": "private",
            "account": account,
            "allow_permission_changes": False,
            "code_challenge": None,
            "code_challenge_method": None,
            "sandbox_install_compatible": None,
            "requested_permissions": None,
            "requested_access": granted,
            "installed_version": version,
            "installed_account": install["account"],
        }
        return install["id"], props

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with contextlib.ExitStack() as scope:
            settings = self.settings()
            if id_.startswith(MARKETPLACE_PREFIX):
                outs = {**public(props), "status": self._review_status(settings, props)}
                return ReadResult(id_=id_, outs=outs, inputs=_inputs(props))
            id_ = stripe_install_id(id_)
            api = InstallApi(scope.enter_context(client_for(settings, props["mode"])), props.get("account"))
            try:
                install = api.retrieve("reading", _subject(props, id_), id_)
            except StripeAppsError as error:
                api.confirm_gone(error, props)
                print(
                    f"drift: install {id_} of {props.get('app')} ({props.get('mode')}) is gone",
                    file=sys.stderr,
                )
                return ReadResult(id_="", outs={})
            if install["status"] == "uninstalling":
                print(f"drift: install {id_} is being uninstalled outside this stack", file=sys.stderr)
                return ReadResult(id_="", outs={})
            uploader = scope.enter_context(uploader_for(settings))
            history = REFRESH_HISTORY.get(settings.api_base, props["app"], uploader) if uploader.can_list else []
            installed_version, drift = _observe(install, props, history)
            for line in drift:
                print(f"drift: {_subject(props, id_)}: {line}", file=sys.stderr)
            outs = {
                **self._outputs(props, install, None, recorded_auth_code=props.get("auth_code")),
                "installed_version": installed_version,
                "drift": drift,
            }
            return ReadResult(
                id_=install_resource_id(props["mode"], props.get("account"), id_),
                outs=outs,
                inputs={**_inputs(props), "version": installed_version},
            )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with contextlib.ExitStack() as scope:
            settings = self.settings()
            if id_.startswith(MARKETPLACE_PREFIX):
                return UpdateResult(
                    outs={**public(olds), **public(news), "status": self._review_status(settings, news)}
                )
            id_ = stripe_install_id(id_)
            mode: Mode = news["mode"]
            uploader = scope.enter_context(uploader_for(settings))
            newest = _enforce_version_rule(uploader, news)
            api = InstallApi(scope.enter_context(client_for(settings, mode)), news.get("account"))
            subject = _subject(news, id_)
            wanted = _requested(news, newest)
            gated = wanted is not None and mode == "live" and not news.get("allow_permission_changes")
            # Only the gate and, without Version History (Stripe), the version check need the install; else the
            # read is waste.
            no_history = not uploader.can_list
            current = api.retrieve("reading", subject, id_) if gated or no_history else None
            if current is not None and no_history:
                _refuse_foreign_pending(current, news, subject)
            if gated and current is not None and wanted is not None:
                delta = _new_access(current, wanted)
                if delta:
                    raise StripeAppsError(
                        "upgrading",
                        subject,
                        f"version {news['version']} asks for access the live install does not have: {', '.join(delta)}",
                        fix="review the new access, then set allow_permission_changes=True on this AppInstallation "
                        "and run `pulumi up` again",
                    )
            if news.get("code_challenge") is not None and news.get("code_challenge") != olds.get("code_challenge"):
                # Only a create takes a challenge: it returns this install (or reinstalls it) with a new auth_code.
                install = api.create(subject, {"app": news["app"], "channel": CONNECTED_CHANNEL, **_pkce_params(news)})
            else:
                install = api.reauthorize(subject, id_)
            install = self._wait_installed(api, settings, install, subject)
            _refuse_ungranted(install, news, subject)
            outs = self._outputs(news, install, newest, recorded_auth_code=olds.get("auth_code"))
            _warn_no_auth_code(news, outs, subject)
            _warn_drift(outs, subject)
            return UpdateResult(outs=outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with contextlib.ExitStack() as scope:
            if id_.startswith(MARKETPLACE_PREFIX):
                print(
                    f"{props.get('app')} stays on the App Marketplace: removing a listing needs Stripe support; "
                    "it was removed from this stack only.",
                    file=sys.stderr,
                )
                return
            settings = self.settings()
            id_ = stripe_install_id(id_)
            api = InstallApi(scope.enter_context(client_for(settings, props["mode"])), props.get("account"))
            subject = _subject(props, id_)
            if api.made_here(id_):
                print(
                    f"{subject} is kept: a resource of this stack installed it in this run (a replace or a rename), "
                    "and Stripe keeps one install per account, mode and app",
                    file=sys.stderr,
                )
                return
            try:
                api.uninstall(subject, id_)
            except StripeAppsError as error:
                api.confirm_gone(error, props)
                return

            def current() -> Install | None:
                try:
                    return api.retrieve("uninstalling", subject, id_)
                except StripeAppsError as error:
                    # This key uninstalled this id a moment ago: the install was on its account, so Stripe's
                    # resource_missing now is its own word that the uninstall finished.
                    if is_missing(error):
                        return None
                    raise

            final = wait_until(
                current,
                lambda found: found is None or found["status"] != "uninstalling",
                timeout=settings.poll_timeout,
                action="uninstalling",
                subject=subject,
                describe=lambda found: found["status"] if found else "gone",
            )
            if final is not None:
                raise StripeAppsError(
                    "uninstalling",
                    subject,
                    f"Stripe reports status {final['status']}",
                    fix="look at the install in the Dashboard, then run `pulumi destroy` again",
                )

    # -- helpers --------------------------------------------------------------------------------------

    def _wait_installed(self, api: InstallApi, settings: Settings, install: Install, subject: str) -> Install:
        def current() -> Install:
            return api.retrieve("installing", subject, install["id"])

        final = wait_until(
            current,
            lambda found: found["status"] != "installing",
            timeout=settings.poll_timeout,
            action="installing",
            subject=subject,
            describe=lambda found: found["status"],
        )
        if final["status"] == "install_failed":
            # Leave nothing half-made: the next `pulumi up` starts from a clean slate.
            try:
                api.uninstall(subject, final["id"], action="cleaning up")
            except StripeAppsError as cleanup:
                print(f"warning: could not remove the failed install: {cleanup}", file=sys.stderr)
            raise StripeAppsError(
                "installing",
                f"{subject} ({final['id']})",
                "Stripe reports install_failed",
                fix="check the app's permissions and the account, then run `pulumi up` again",
            )
        return final

    def _publish(self, settings: Settings, props: dict[str, Any]) -> CreateResult:
        subject = f"Marketplace listing of {props['app']}"
        if settings.surface != "full":  # `check` refuses it first; no emulator-only route is ever called on Stripe
            raise StripeAppsError("submitting", subject, "Stripe has no API for review", fix=PUBLIC_DISTRIBUTION_STEPS)
        app = open_http(settings).post(
            f"/v1/apps/apps/{props['app']}/submit_for_review", action="submitting", subject=subject, fix=upload_key_fix
        )
        outs = {
            **public(props),
            "status": app.get("marketplace", {}).get("status"),
            "channel": "public",
            "livemode": True,
            "installed_account": app.get("account"),
            "installed_version": props["version"],
            "permissions_granted": [],
            "permissions_pending": [],
            "approval_required": False,
            "drift": [],
        }
        return CreateResult(id_=MARKETPLACE_PREFIX + props["app"], outs=outs)

    def _review_status(self, settings: Settings, props: dict[str, Any]) -> Any:
        """The Marketplace review status: the emulator's app object shows it; Stripe has no API for review, so
        there the recorded status stays as it is (the Dashboard shows the real one)."""
        if settings.surface != "full":
            print(
                f"warning: the Marketplace review of {props.get('app')} cannot be read from Stripe's API (the "
                "Dashboard shows it); its recorded status is kept",
                file=sys.stderr,
            )
            return props.get("status")
        app: dict[str, Any] = open_http(settings).get(
            f"/v1/apps/apps/{props['app']}", action="reading", subject=f"app {props['app']}", fix=upload_key_fix
        )
        return app.get("marketplace", {}).get("status")

    def _outputs(
        self, props: dict[str, Any], install: Install, newest: Upload | None, *, recorded_auth_code: str | None = None
    ) -> dict[str, Any]:
        missing = _missing_grants(install, props)
        return {
            **{name: props.get(name) for name in INPUTS},
            "status": install["status"],
            "channel": install["channel"],
            "livemode": install["livemode"],
            "installed_account": install["account"],
            "installed_version": newest.version if newest is not None else props["version"],
            "permissions_granted": list(install.get("permissions_granted") or []),
            "permissions_pending": list(install.get("permissions_pending") or []),
            "approval_required": bool(install.get("approval_required")),
            # Stripe does not say that every read shows the code it issued: one not shown is kept as recorded.
            "auth_code": install.get("auth_code") or recorded_auth_code,
            "drift": [missing] if missing else [],
        }


def _check_account(account: Any, mode: Any, distribution: Any) -> list[CheckFailure]:
    if account is None or is_unknown(account):
        return []
    if not isinstance(account, str) or not account.startswith("acct_"):
        return [CheckFailure("account", f"account is {account!r}; expected a connected account id like acct_...")]
    if mode == "sandbox":
        return [
            CheckFailure(
                "account", "a sandbox is its own environment: install on a connected account in test or live mode"
            )
        ]
    if distribution == "public":
        return [
            CheckFailure(
                "account",
                "distribution='public' publishes the app from its own account; on a connected account leave "
                "distribution='private' (the install uses Stripe's public channel there)",
            )
        ]
    return []


def _check_pkce(checked: dict[str, Any]) -> list[CheckFailure]:
    """A PKCE challenge as Stripe takes it (RFC 7636, S256), on an install given an auth_code; fills in the method."""
    challenge, method = checked.get("code_challenge"), checked.get("code_challenge_method")
    if challenge is None:
        if method is not None and not is_unknown(method):
            return [
                CheckFailure(
                    "code_challenge_method",
                    "code_challenge_method is set without code_challenge: pass the challenge too, or remove the method",
                )
            ]
        return []
    failures: list[CheckFailure] = []
    if method is None:
        checked["code_challenge_method"] = method = CODE_CHALLENGE_METHOD.allowed[0]
    elif not is_unknown(method) and method not in CODE_CHALLENGE_METHOD.allowed:
        failures.append(
            CheckFailure("code_challenge_method", f"code_challenge_method is {method!r}; Stripe accepts only 'S256'")
        )
    if not is_unknown(challenge) and (not isinstance(challenge, str) or not S256_CHALLENGE.fullmatch(challenge)):
        # The value is not repeated: it may be a verifier passed by mistake (the engine shows it unless it is secret).
        shape = f"{len(challenge)} characters" if isinstance(challenge, str) else f"a {type(challenge).__name__}"
        failures.append(
            CheckFailure(
                "code_challenge",
                f"code_challenge is {shape}, not an S256 challenge (43 characters of A-Z a-z 0-9 - _, RFC 7636 "
                "section 4.2): pass BASE64URL(SHA256(code_verifier)) without '=' padding, never the verifier itself",
            )
        )
    account = checked.get("account")
    if account is None:
        failures.append(
            CheckFailure(
                "code_challenge",
                "Stripe issues an auth_code only for installs the app's developer makes on a connected account; on "
                "your own account the challenge is ignored: set account='acct_...', or remove code_challenge",
            )
        )
    return failures


def _warn_drift(outs: dict[str, Any], subject: str) -> None:
    for line in outs["drift"]:
        print(f"warning: {subject}: {line}", file=sys.stderr)


def install_resource_id(mode: str, account: str | None, install_id: str) -> str:
    """The resource's id: the import form `MODE/[ACCOUNT/]appinst_...`, stable across upgrades (no version)."""
    return "/".join(filter(None, (mode, account, install_id)))


def stripe_install_id(resource_id: str) -> str:
    """Stripe's `appinst_` id in a resource id, an import id (`...@VERSION`) or state's bare `appinst_` id."""
    return resource_id.partition("@")[0].rsplit("/", 1)[-1]


class InstallApi:
    """The Install API calls of one install: on the key's own account, or on a connected account with
    `Stripe-Account` (the app's developer acting there)."""

    def __init__(self, client: StripeHttp, account: str | None) -> None:
        self._client = client
        self._account = account

    def confirm_gone(self, error: StripeAppsError, props: dict[str, Any]) -> None:
        """Returns when `error` shows the install gone from the account it was installed on; else raises."""
        confirm_gone(error, self._client, recorded_account=props.get("installed_account"), on_behalf=self._account)

    def create(self, subject: str, params: dict[str, str]) -> Install:
        try:
            found: Install = self._client.post(
                INSTALLS_PATH,
                action="installing",
                subject=subject,
                data=params,
                account=self._account,
                fix=_install_fix,
            )
        except StripeAppsError as error:
            raise self.on_which_account(error, error.fix) from None
        made_here.record(self._client, found["id"])
        return found

    def made_here(self, install_id: str) -> bool:
        """Whether this engine operation created (or was handed back) this install: see made_here.py."""
        return made_here.was_made(self._client, install_id)

    def on_which_account(self, error: StripeAppsError, fix: str | None) -> StripeAppsError:
        """A `resource_missing` names the account the key acts for: "no such object" is true for that account only,
        and a key of another account is the usual cause."""
        if not is_missing(error):
            return error
        actual = key_account(self._client, self._account)
        return StripeAppsError(
            error.action,
            error.subject,
            f"{error.detail} (on account {actual}, the account this key acts for)",
            code=error.code,
            param=error.param,
            request_id=error.request_id,
            http_status=error.http_status,
            fix=fix,
        )

    def retrieve(self, action: str, subject: str, id_: str) -> Install:
        found: Install = self._client.get(
            f"{INSTALLS_PATH}/{id_}", action=action, subject=subject, account=self._account, fix=_install_fix
        )
        return found

    def reauthorize(self, subject: str, id_: str) -> Install:
        found: Install = self._client.post(
            f"{INSTALLS_PATH}/{id_}", action="re-authorizing", subject=subject, account=self._account
        )
        return found

    def uninstall(self, subject: str, id_: str, action: str = "uninstalling") -> None:
        self._client.post(
            f"{INSTALLS_PATH}/{id_}/uninstall", action=action, subject=subject, account=self._account, fix=_install_fix
        )


def _install_fix(error: StripeAppsError) -> str | None:
    if is_missing(error) and error.param == "app":
        return (
            "`app` must be the app object id (app_...) of an app uploaded from the key's account: use AppVersion.app, "
            "and on Stripe check its entry in stripe-apps:appIds against the Dashboard (Developers > Apps)"
        )
    if error.http_status != 403:
        return None
    if error.code == "account_invalid":
        return "check `account`: it must be an account connected to the key's account"
    return "give the key the `app_install_write` permission (Dashboard > Developers > API keys)"


def _pkce_params(props: dict[str, Any]) -> dict[str, str]:
    challenge = props.get("code_challenge")
    if challenge is None:
        return {}
    return {"code_challenge": challenge, "code_challenge_method": props.get("code_challenge_method") or "S256"}


def _warn_no_auth_code(props: dict[str, Any], outs: dict[str, Any], subject: str) -> None:
    if props.get("code_challenge") is not None and outs["auth_code"] is None:
        print(
            f"warning: {subject}: Stripe issued no auth_code for code_challenge; it issues one only for OAuth apps "
            "(stripe_api_access_type: oauth in stripe-app.json)",
            file=sys.stderr,
        )


def _subject(props: dict[str, Any], id_: str | None = None) -> str:
    where = f" ({id_})" if id_ else ""
    on = f" on {props['account']}" if props.get("account") else ""
    return f"install of {props.get('app')} in {props.get('mode')} mode{on}{where}"


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {name: props.get(name) for name in INPUTS}


class _RefreshHistory:
    """Version History shared by the reads of one refresh: every install of an app asks for the same list.

    Only `read` (drift reporting) uses it. Installs and upgrades always read Version History afresh, so
    the version rule never rests on a cached list. The cache lives in the provider process, which lasts
    one Pulumi command; entries also expire after a few seconds.
    """

    TTL = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._app_locks: dict[tuple[str, str], threading.Lock] = {}
        self._entries: dict[tuple[str, str], tuple[float, list[Upload]]] = {}

    def get(self, api_base: str, app: str, uploader: Uploader) -> list[Upload]:
        key = (api_base, app)
        with self._lock:
            app_lock = self._app_locks.setdefault(key, threading.Lock())
        with app_lock:  # concurrent reads of one app wait for one request instead of each making one
            cached = self._entries.get(key)
            if cached is not None and time.monotonic() - cached[0] < self.TTL:
                return cached[1]
            history = uploader.history(app)
            self._entries[key] = (time.monotonic(), history)
            return history


REFRESH_HISTORY = _RefreshHistory()


def _newest_completed(history: list[Upload]) -> Upload | None:
    return next((upload for upload in history if upload.status == "completed"), None)


def _enforce_version_rule(uploader: Uploader, props: dict[str, Any]) -> Upload | None:
    """Stripe installs the newest completed upload; refuse when that is not the declared version."""
    if not uploader.can_list:
        return None
    newest = _newest_completed(uploader.history(props["app"]))
    if newest is None:
        raise StripeAppsError(
            "installing",
            _subject(props),
            f"the app has no completed upload on account {uploader.account()}, the account the test-mode key acts for",
            fix="upload a version first (AppVersion), then install it; if it was uploaded, check that "
            "stripe-apps:testApiKey is the key of the app's account",
        )
    if newest.version != props["version"]:
        raise StripeAppsError(
            "installing",
            _subject(props),
            f"the newest completed upload is version {newest.version} ({newest.id}), but this install declares "
            f"version {props['version']}. Stripe installs the newest upload and cannot pick a version, so "
            f"installing now would put {newest.version} on {props['mode']} mode",
            fix=f"declare version {newest.version}, or upload the content of {props['version']} again under a new "
            "version (a rollback is a new upload)",
        )
    return newest


def _announce_new_access(olds: dict[str, Any], news: dict[str, Any]) -> None:
    """Shows at preview the permissions a live upgrade would add, so the gate in `update` is no surprise."""
    requested = (_requested(news, None) or {}).get("permissions")
    if news.get("mode") != "live" or requested is None:
        return
    granted = set(olds.get("permissions_granted") or [])
    added = [name for name in requested if isinstance(name, str) and name not in granted]
    if not added:
        return
    verdict = (
        "allowed by allow_permission_changes=True"
        if news.get("allow_permission_changes")
        else "`pulumi up` will refuse it until you set allow_permission_changes=True"
    )
    print(
        f"warning: upgrading the live install of {shown(news.get('app'), 'the app being uploaded')} to "
        f"{shown(news.get('version'), 'the version being uploaded', prefix='version ')} adds access: "
        f"{', '.join(f'permission {name}' for name in added)}; {verdict}",
        file=sys.stderr,
    )


Access = dict[str, list[str]]
ACCESS_KINDS = ("permissions", "connect_src", "image_src", "endpoints")


def _upload_access(upload: Upload) -> Access:
    return {
        "permissions": list(upload.permissions),
        "connect_src": list(upload.content_security_policy.get("connect_src", [])),
        "image_src": list(upload.content_security_policy.get("image_src", [])),
        "endpoints": list(upload.endpoints),
    }


def _requested(props: dict[str, Any], newest: Upload | None) -> Access | None:
    """What the declared version asks for: its declared access (both surfaces) or, on the emulator's full
    surface, the newest upload's; None when neither is known."""
    declared = props.get("requested_access")
    if isinstance(declared, dict) and not is_unknown(declared):
        return {kind: [str(item) for item in declared.get(kind) or []] for kind in ACCESS_KINDS}
    if newest is not None:
        return _upload_access(newest)
    permissions = props.get("requested_permissions")
    if isinstance(permissions, list) and not is_unknown(permissions):
        return {"permissions": [str(name) for name in permissions]}
    return None


def _granted(install: Install) -> Access:
    granted_csp: dict[str, Any] = install.get("content_security_policy_granted") or {}
    return {
        "permissions": list(install.get("permissions_granted") or []),
        "connect_src": list(granted_csp.get("connect_src") or []),
        "image_src": list(granted_csp.get("image_src") or []),
        "endpoints": list(install.get("endpoints_granted") or []),
    }


ACCESS_LABELS = {
    "permissions": "permission",
    "connect_src": "connect_src",
    "image_src": "image_src",
    "endpoints": "endpoint",
}


def _new_access(install: Install, wanted: Access) -> list[str]:
    """What `wanted` asks for beyond what the install was granted: permissions, CSP, endpoints."""
    granted = _granted(install)
    return [
        f"{ACCESS_LABELS[kind]} {item}"
        for kind in ACCESS_KINDS
        for item in wanted.get(kind, [])
        if item not in granted[kind]
    ]


def _pending(install: Install) -> Access:
    """The access an install's newest upload asks for beyond what is granted (Stripe's `*_pending`)."""
    pending_csp: dict[str, Any] = install.get("content_security_policy_pending") or {}
    return {
        "permissions": list(install.get("permissions_pending") or []),
        "connect_src": list(pending_csp.get("connect_src") or []),
        "image_src": list(pending_csp.get("image_src") or []),
        "endpoints": list(install.get("endpoints_pending") or []),
    }


def _refuse_ungranted(install: Install, props: dict[str, Any], subject: str) -> None:
    """On a connected account the app's developer cannot grant new access (docs: api/apps/installs/update): when
    the newest upload asks for more than the install holds, Stripe keeps the install on its version and the access
    waits for the account's owner. Recording the declared version then would be false."""
    account = props.get("account")
    pending = _pending(install)
    waiting = [f"{ACCESS_LABELS[kind]} {item}" for kind in ACCESS_KINDS for item in pending.get(kind, [])]
    if not account or not waiting:
        return
    raise StripeAppsError(
        "upgrading",
        subject,
        f"the install stays on its version: version {props.get('version')} asks for access {account} has not "
        f"granted ({', '.join(waiting)}), and an app's developer cannot grant new access on a connected account",
        fix=f"ask the owner of {account} to approve the new access (in their Dashboard, or by reauthorizing the "
        "install with their own key), then run `pulumi up` again: it finds the install upgraded",
    )


def _refuse_foreign_pending(install: Install, props: dict[str, Any], subject: str) -> None:
    """Stripe's public surface shows no Version History, but an install's `*_pending` access is what the
    newest upload asks for beyond the grant: access the declared version does not ask for means the
    newest upload is another version, which re-authorizing would install."""
    declared = _requested(props, None)
    if declared is None:
        return
    pending = _pending(install)
    foreign = [
        f"{ACCESS_LABELS[kind]} {item}"
        for kind in ACCESS_KINDS
        for item in pending.get(kind, [])
        if item not in declared.get(kind, [])
    ]
    if foreign:
        raise StripeAppsError(
            "upgrading",
            subject,
            f"the install has access pending that version {props.get('version')} does not ask for "
            f"({', '.join(foreign)}): the app's newest upload is another version, and Stripe installs the newest "
            "upload",
            fix="declare the newest version (see the app's Version History in the Dashboard), or upload this content "
            "again under a new version",
        )


def _missing_grants(install: Install, props: dict[str, Any]) -> str | None:
    """After an install or upgrade: declared access the install did not receive means Stripe installed
    another upload than the declared version (its processing failed, or someone uploaded after it)."""
    declared = props.get("requested_access")
    if install["status"] != "installed" or not isinstance(declared, dict) or is_unknown(declared):
        return None
    missing = _new_access(install, _requested(props, None) or {})
    if not missing:
        return None
    return (
        f"the install lacks access that version {props.get('version')} asks for ({', '.join(missing)}): Stripe "
        "installed another upload. The upload may have failed processing, or a newer one was made: check the "
        "app's Version History in the Dashboard"
    )


def _observe(install: Install, props: dict[str, Any], history: list[Upload]) -> tuple[str, list[str]]:
    """The version Stripe has installed (inferred: the API names none) and the drift to report."""
    drift: list[str] = []
    if install["status"] != "installed":
        drift.append(f"status is {install['status']}, not installed")
    pending = list(install.get("permissions_pending") or [])
    if pending:
        # On Stripe's public surface this is the one sign of a newer upload that asks for new access.
        drift.append(f"permissions pending approval: {', '.join(pending)}")
    missing = _missing_grants(install, props)
    if missing:
        drift.append(missing)
    installed = props.get("installed_version") or props["version"]
    newest = _newest_completed(history)
    if newest is not None and newest.version != installed:
        if _new_access(install, _upload_access(newest)):
            waits_for = (
                f"the owner of {props['account']} to approve its new access"
                if props.get("account")
                else "re-authorization"
            )
            drift.append(f"a newer upload, version {newest.version}, waits for {waits_for}")
        else:
            # Stripe moves installs to a newer upload on its own unless it asks for new access.
            drift.append(f"Stripe moved the install to version {newest.version}, uploaded outside this stack")
            installed = newest.version
    return installed, drift


class AppInstallation(Resource, module="stripeapps", name="AppInstallation"):
    """A Stripe App installed in test mode, a sandbox or live mode, on its own account or a connected account."""

    # Outputs, for type checkers only: annotations on the class itself would make the Pulumi SDK evaluate
    # them (`get_type_hints`, uncached) every time a resource's outputs arrive: milliseconds of CPU per resource.
    if TYPE_CHECKING:
        app: pulumi.Output[str]
        version: pulumi.Output[str]
        mode: pulumi.Output[str]
        distribution: pulumi.Output[str]
        status: pulumi.Output[str]
        channel: pulumi.Output[str]
        livemode: pulumi.Output[bool]
        account: pulumi.Output[str | None]
        installed_account: pulumi.Output[str]
        installed_version: pulumi.Output[str]
        permissions_granted: pulumi.Output[list[str]]
        permissions_pending: pulumi.Output[list[str]]
        approval_required: pulumi.Output[bool]
        code_challenge: pulumi.Output[str | None]
        code_challenge_method: pulumi.Output[str | None]
        auth_code: pulumi.Output[str | None]
        drift: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        app: pulumi.Input[str],
        version: pulumi.Input[str],
        mode: pulumi.Input[str],
        *,
        distribution: pulumi.Input[str] = "private",
        allow_permission_changes: pulumi.Input[bool] = False,
        sandbox_install_compatible: pulumi.Input[bool] | None = None,
        requested_permissions: pulumi.Input[list[str]] | None = None,
        requested_access: pulumi.Input[dict[str, list[str]]] | None = None,
        account: pulumi.Input[str] | None = None,
        code_challenge: pulumi.Input[str] | None = None,
        code_challenge_method: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(OUTPUTS)
        props.update(
            app=app,
            version=version,
            mode=mode,
            distribution=distribution,
            allow_permission_changes=allow_permission_changes,
            sandbox_install_compatible=sandbox_install_compatible,
            requested_permissions=requested_permissions,
            requested_access=requested_access,
            account=account,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
        )
        # The auth_code is issued by Stripe, never an input: only this marks it secret in state.
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["auth_code"])
        super().__init__(
            AppInstallationProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret_opts, opts)
        )
        after_declaration()
