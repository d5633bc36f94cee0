"""App installs: newest-completed-upload semantics, pending access, lazy transitions and events."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from ..errors import (
    AppVersionMissingError,
    ChannelInvalidError,
    InstallStateInvalidError,
    InvalidParameterError,
    InvalidRequestError,
    ParameterMissingError,
    ResourceMissingError,
    SandboxInstallIncompatibleError,
)
from ..ids import derived, public, random_id
from .accounts import INSTALL_READ, INSTALL_WRITE, Caller
from .listing import created_matches, paginate

if TYPE_CHECKING:
    from . import Backend

# The object's channel may be `review`; requests (create, the list filter) take only these (SDK 16.1
# `stripe/params/apps/_install_create_params.py`, `_install_list_params.py`).
CHANNELS = ("private_live", "private_test", "public", "review", "testing")
REQUEST_CHANNELS = ("private_live", "private_test", "public", "testing")
PRIVATE_CHANNELS = ("private_live", "private_test")
STATUSES = ("install_failed", "installed", "installing", "uninstall_failed", "uninstalling")
# The SDK documents that approval_required stays false for private apps: their owner grants
# access by creating or reauthorizing the install through the API.
APPROVAL_REQUIRED_FOR_PRIVATE = False


# RFC 7636 section 4.2 as Stripe words it (SDK `InstallCreateParams.code_challenge`): 43 to 128 unreserved characters.
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# Stripe's Connect OAuth codes start `ac_`; the install's code is taken to look the same (inferred).
AUTH_CODE_PREFIX = "ac_"


def pkce_challenge(challenge: str | None, method: str | None) -> str | None:
    """The create request's PKCE challenge, checked as Stripe documents it; None when there is none.

    The method is "required when `code_challenge` is provided" (SDK `InstallCreateParams.code_challenge_method`).
    Inferred: a method without a challenge is refused."""
    if challenge is None:
        if method is not None:
            raise InvalidParameterError("code_challenge_method was given without code_challenge.", "code_challenge")
        return None
    if not CODE_CHALLENGE.fullmatch(challenge):
        raise InvalidParameterError(
            "Invalid code_challenge: must be 43 to 128 characters of letters, numbers, '-', '.', '_' and '~'.",
            "code_challenge",
        )
    if method is None:
        raise ParameterMissingError("Missing required param: code_challenge_method.", "code_challenge_method")
    return challenge


def _install_scope(install: dict[str, Any]) -> str:
    """The group an install is found in: the account it is on, its mode and its app (Stripe keeps one install
    per account, mode and app, so a lookup decodes one install, however many apps the account holds)."""
    return f"{install['account']}:{'live' if install['livemode'] else 'test'}:{install['app']}"


def _minus(wanted: list[str], granted: list[str]) -> list[str]:
    return [item for item in wanted if item not in granted]


class Installs:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        backend.store.scope_by("install", _install_scope)

    # -- views ----------------------------------------------------------------------------------
    def render(self, install: dict[str, Any]) -> dict[str, Any]:
        """The wire object: pending access is the newest completed upload's asks minus what is granted."""
        out = public(install)
        newest = self._backend.apps.newest_completed(install["app"])
        if newest is None:
            permissions: list[str] = []
            csp: dict[str, list[str]] = {"connect_src": [], "image_src": []}
            endpoints: list[str] = []
        else:
            granted_csp = install["content_security_policy_granted"]
            permissions = _minus(newest["permissions"], install["permissions_granted"])
            csp = {
                key: _minus(newest["content_security_policy"][key], granted_csp[key])
                for key in ("connect_src", "image_src")
            }
            endpoints = _minus(newest["endpoints"], install["endpoints_granted"])
        out["permissions_pending"] = permissions
        out["content_security_policy_pending"] = csp
        out["endpoints_pending"] = endpoints
        pending = bool(permissions or csp["connect_src"] or csp["image_src"] or endpoints)
        private = install["channel"] in PRIVATE_CHANNELS
        out["approval_required"] = pending and (APPROVAL_REQUIRED_FOR_PRIVATE or not private)
        return dict(sorted(out.items()))

    def has_pending(self, install: dict[str, Any]) -> bool:
        view = self.render(install)
        csp = view["content_security_policy_pending"]
        return bool(view["permissions_pending"] or csp["connect_src"] or csp["image_src"] or view["endpoints_pending"])

    def settle(self, install: dict[str, Any]) -> dict[str, Any] | None:
        """Apply a due transition and any automatic upgrade; None when the install is gone."""
        store = self._backend.store
        record = install.get("_transition")
        if self._backend.transitions.is_due(record):
            assert record is not None
            before = self.render(install)
            install["_transition"] = None
            if record["kind"] == "install":
                install["status"] = "install_failed" if record["fail"] else "installed"
            elif record["fail"]:
                install["status"] = "uninstall_failed"
            else:
                store.delete("install", install["id"])
                # The application event first: the install's own event is the newest one.
                self._deauthorized(install)
                self._emit(install, "apps.install.deleted", self.render(install), direct=False)
                return None
            store.put("install", install["id"], install)
            self._emit_update(install, before, direct=False)
        if install["status"] == "installed":
            self._auto_upgrade(install)
        return install

    def _auto_upgrade(self, install: dict[str, Any]) -> None:
        """Move to a newer completed upload unless it asks for access not yet granted."""
        newest = self._backend.apps.newest_completed(install["app"])
        if newest is None or int(newest["_seq"]) <= int(install["_considered"]):
            return
        before = self.render(install)
        install["_considered"] = newest["_seq"]
        if not self.has_pending(install):
            install["_upload"] = newest["id"]
            self._grant(install, newest)
        self._backend.store.put("install", install["id"], install)
        self._emit_update(install, before, direct=False)

    @staticmethod
    def _grant(install: dict[str, Any], upload: dict[str, Any]) -> None:
        install["permissions_granted"] = list(upload["permissions"])
        install["content_security_policy_granted"] = copy.deepcopy(upload["content_security_policy"])
        install["endpoints_granted"] = list(upload["endpoints"])

    def recipients(self, install: dict[str, Any]) -> list[str]:
        """The accounts an install's events go to: the installing account, then the app's developer and
        the embedding platform (`created_by`) when they are other accounts. A sandbox is its own
        environment: its parent developing the app is not sent a copy (inferred)."""
        out = [str(install["account"])]
        installer = self._backend.store.get("account", install["account"])
        parent = installer.get("parent") if installer else None
        app = self._backend.apps.app_doc(install["app"])
        for other in (app["account"] if app else None, install.get("created_by")):
            if other and other not in out and other != parent:
                out.append(str(other))
        return out

    def _emit(
        self,
        install: dict[str, Any],
        type_: str,
        obj: dict[str, Any],
        *,
        direct: bool,
        previous: dict[str, Any] | None = None,
    ) -> None:
        for account in self.recipients(install):
            self._backend.events.emit(
                account, install["livemode"], type_, obj, previous, direct=direct, on_account=install["account"]
            )

    def application(self, install: dict[str, Any]) -> dict[str, Any]:
        """The app as the older Connect events name it: an `application` with a `ca_...` id."""
        upload = self._backend.apps.upload_doc(str(install["_upload"]))
        name = upload["_manifest"].get("name") if upload is not None else None
        return {
            "id": "ca_" + derived(f"application:{install['app']}", 24),
            "object": "application",
            "name": name if isinstance(name, str) else None,
        }

    def _authorized(self, install: dict[str, Any], *, direct: bool) -> None:
        """A new install authorizes the app on the account (`account.application.authorized`)."""
        self._emit(install, "account.application.authorized", self.application(install), direct=direct)

    def _deauthorized(self, install: dict[str, Any]) -> None:
        """A finished uninstall revokes the app's access (`account.application.deauthorized`)."""
        self._emit(install, "account.application.deauthorized", self.application(install), direct=False)

    def _emit_update(self, install: dict[str, Any], before: dict[str, Any], *, direct: bool) -> None:
        after = self.render(install)
        previous = {key: value for key, value in before.items() if after.get(key) != value}
        if previous:
            self._emit(install, "apps.install.updated", after, previous=previous, direct=direct)

    def _visible(self, caller: Caller, install: dict[str, Any], *, as_developer: bool = True) -> bool:
        """The installing account sees an install; so does the app's developer (docs: api/apps/installs),
        acting on its own account, when `as_developer`."""
        if install["livemode"] != caller.livemode:
            return False
        if install["account"] == caller.account:
            # Through `Stripe-Account` a developer sees that account's installs of its own apps only (docs:
            # api/apps/installs: retrieve and list name the installing account, the developer and the platform).
            return caller.account == caller.key_account or self._owns_app(caller.key_account, install)
        if not as_developer or caller.account != caller.key_account:
            return False
        installer = self._backend.store.get("account", install["account"])
        if installer is not None and installer.get("parent") == caller.account:
            return False  # a sandbox is its own environment, as for events (inferred)
        return self._owns_app(caller.account, install)

    def _owns_app(self, account: str, install: dict[str, Any]) -> bool:
        app = self._backend.apps.app_doc(install["app"])
        return app is not None and app["account"] == account

    def _grants_here(self, caller: Caller, install: dict[str, Any]) -> bool:
        """Whether the caller may grant the access an install's newest upload adds: the installing account with its
        own key may; an app developer may not (docs: api/apps/installs/update, "An app developer can't grant new
        access"). Embedding platforms are not emulated."""
        return bool(caller.key_account == install["account"])

    def _load(self, caller: Caller | None, id_: str) -> dict[str, Any]:
        install = self._backend.store.get("install", id_)
        if install is not None and (caller is None or self._visible(caller, install)):
            settled = self.settle(install)
            if settled is not None:
                return settled
        raise ResourceMissingError(f"No such app install: '{id_}'", "id")

    def retrieve(self, caller: Caller, id_: str) -> dict[str, Any]:
        caller.require(INSTALL_READ, INSTALL_WRITE)
        return self.render(self._load(caller, id_))

    def list(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        caller.require(INSTALL_READ, INSTALL_WRITE)
        out = []
        # A developer's listing spans the accounts that installed its app only when filtered by `app`.
        across = params.get("app") is not None and caller.account == caller.key_account
        account = params.get("account")
        if account is not None and not across and account != caller.account:
            # "Other lists only accept the authenticated account" (SDK `InstallListParams.account`); the wording
            # of the refusal is inferred.
            raise InvalidParameterError(
                f"Only the account this request is authenticated as ({caller.account}) can be given as `account` "
                "here; an app's developer lists other accounts' installs of its app with its own key and `app`.",
                "account",
            )
        for install in reversed(self._backend.store.all("install")):
            if not self._visible(caller, install, as_developer=across):
                continue
            settled = self.settle(install)
            if settled is None:
                continue
            view = self.render(settled)
            if all(
                params.get(name) in (None, view[name])
                for name in ("account", "app", "approval_required", "channel", "created_by", "status")
            ) and created_matches(view["created"], params.get("created")):
                out.append(view)
        return paginate(out, params, "/v1/apps/installs")

    # -- writes ---------------------------------------------------------------------------------
    def create(self, caller: Caller, app_id: str, channel: str, challenge: str | None = None) -> dict[str, Any]:
        caller.require(INSTALL_WRITE)
        app = self._backend.apps.app_doc(app_id)
        connected = caller.account != caller.key_account
        owners = {caller.key_account} if connected else {caller.account, caller.sandbox_parent}
        if app is None or app["account"] not in owners:
            raise ResourceMissingError(f"No such app: '{app_id}'", "app")
        if connected:
            # The app's developer installs it on an account connected to it (docs: api/apps/installs,
            # `Stripe-Account` with channel=public); private channels name the developer's own account.
            if channel != "public":
                raise ChannelInvalidError(
                    f"An app is installed on a connected account with channel=public; channel={channel} "
                    "installs an app on its developer's own account.",
                    "channel",
                )
            return self._install(caller, app, channel, challenge)
        # An account installing its own private app gets no auth_code: the challenge is accepted and ignored (docs).
        expected = "private_live" if caller.livemode else "private_test"
        if channel not in PRIVATE_CHANNELS:
            raise ChannelInvalidError(
                f"Installs on channel '{channel}' into your own account are made from the Dashboard; "
                "an account "
                f"installing its own app must pass channel={expected}.",
                "channel",
            )
        if channel != expected:
            raise ChannelInvalidError(
                f"channel={channel} does not match the API key's mode; a "
                f"{'live' if caller.livemode else 'test or sandbox'} key must use channel={expected}.",
                "channel",
            )
        if channel == "private_live" and app["distribution_type"] == "public":
            raise ChannelInvalidError(
                "This app's distribution_type is 'public'; it cannot be installed privately in live mode.",
                "channel",
            )
        return self._install(caller, app, channel)

    def _install(
        self, caller: Caller, app: dict[str, Any], channel: str, challenge: str | None = None
    ) -> dict[str, Any]:
        """The newest completed upload on the caller's account: the existing install when nothing changes."""
        newest = self._newest_or_fail(app, caller)
        existing = self._find(caller.account, caller.livemode, app["id"])
        if existing is not None:
            if existing["status"] == "uninstalling":
                raise InstallStateInvalidError(
                    f"The install {existing['id']} is being uninstalled; create it again once it is gone.",
                    "app",
                )
            if (
                existing["status"] in ("installed", "installing")
                and existing["_upload"] == newest["id"]
                and not self.has_pending(existing)
            ):
                if challenge is None:
                    return self.render(existing)
                before = self.render(existing)
                self._issue_auth_code(existing, newest, challenge)
                self._backend.store.put("install", existing["id"], existing)
                self._emit_update(existing, before, direct=True)
                return self.render(existing)
            self._issue_auth_code(existing, newest, challenge)
            if self.has_pending(existing) and not self._grants_here(caller, existing):
                return self._left_pending(existing)
            return self._reinstall(existing, newest, direct=True)
        now = self._backend.clock.now_int()
        install: dict[str, Any] = {
            "id": random_id("appinst_" if caller.livemode else "appinst_test_"),
            "object": "apps.install",
            "account": caller.account,
            "app": app["id"],
            "auth_code": None,
            "channel": channel,
            "created": now,
            # "The embedding platform that created the install": none here (embedding platforms are not emulated);
            # a developer's install on a connected account has none either (docs example, api/apps/installs/create).
            "created_by": None,
            "livemode": caller.livemode,
            "status": "installing",
            "_upload": newest["id"],
            "_considered": newest["_seq"],
            "_transition": self._backend.transitions.start("install"),
        }
        self._grant(install, newest)
        self._issue_auth_code(install, newest, challenge)
        self._backend.store.put("install", install["id"], install)
        view = self.render(install)
        self._authorized(install, direct=True)
        self._emit(install, "apps.install.created", view, direct=True)
        return view

    @staticmethod
    def _issue_auth_code(install: dict[str, Any], upload: dict[str, Any], challenge: str | None) -> None:
        """A create with a PKCE challenge issues a new `auth_code` for an OAuth app (its manifest's
        `stripe_api_access_type` is `oauth`), replacing the one issued before (inferred: Stripe says the challenge
        issues the code, not whether a second create with a new challenge issues another). Without a challenge, or
        for another kind of app, the install keeps what it has; reauthorizing never changes it (inferred)."""
        if challenge is None or upload["_manifest"].get("stripe_api_access_type") != "oauth":
            return
        install["auth_code"] = random_id(AUTH_CODE_PREFIX, 32)

    def _newest_or_fail(self, app: dict[str, Any], caller: Caller | None) -> dict[str, Any]:
        newest = self._backend.apps.newest_completed(app["id"])
        if newest is None:
            raise AppVersionMissingError(
                f"The app {app['id']} has no completed upload to install; upload a version first.", "app"
            )
        if caller is not None and caller.sandbox_parent and not newest["sandbox_install_compatible"]:
            raise SandboxInstallIncompatibleError(
                "The app's newest version does not set sandbox_install_compatible: true, so it cannot be "
                "installed into a sandbox.",
                "app",
            )
        return newest

    def _find(self, account: str, livemode: bool, app: str) -> dict[str, Any] | None:
        scope = _install_scope({"account": account, "livemode": livemode, "app": app})
        for install in self._backend.store.all("install", scope=scope):
            if install["app"] == app:
                return self.settle(install)
        return None

    def _reinstall(
        self, install: dict[str, Any], upload: dict[str, Any], *, direct: bool, considered: int | None = None
    ) -> dict[str, Any]:
        before = self.render(install)
        install["_upload"] = upload["id"]
        install["_considered"] = considered if considered is not None else upload["_seq"]
        self._grant(install, upload)
        install["status"] = "installing"
        install["_transition"] = self._backend.transitions.start("install")
        self._backend.store.put("install", install["id"], install)
        self._emit_update(install, before, direct=direct)
        return self.render(install)

    def reauthorize(self, caller: Caller, id_: str) -> dict[str, Any]:
        caller.require(INSTALL_WRITE)
        install = self._load(caller, id_)
        if install["status"] == "uninstalling":
            raise InstallStateInvalidError(f"The install {id_} is being uninstalled.", "id")
        app = self._backend.apps.app_doc(install["app"])
        if app is None:
            raise InvalidRequestError(f"The app of install {id_} no longer exists.", "id")
        newest = self._newest_or_fail(app, caller)
        if self.has_pending(install) and not self._grants_here(caller, install):
            return self._left_pending(install)
        return self._reinstall(install, newest, direct=True)

    def _left_pending(self, install: dict[str, Any]) -> dict[str, Any]:
        """A caller that may not grant the newest upload's new access: the install keeps its version and grant, the
        access stays pending for the installing account to approve (inferred: an answer, not an error)."""
        self._backend.store.put("install", install["id"], install)  # an auth_code issued meanwhile is kept
        return self.render(install)

    def uninstall(self, caller: Caller | None, id_: str) -> dict[str, Any]:
        if caller is not None:
            caller.require(INSTALL_WRITE)
        install = self._load(caller, id_)
        if install["status"] == "uninstalling":
            return self.render(install)
        before = self.render(install)
        install["status"] = "uninstalling"
        install["_transition"] = self._backend.transitions.start("uninstall")
        self._backend.store.put("install", install["id"], install)
        self._emit_update(install, before, direct=caller is not None)
        return self.render(install)

    def install_version(self, app_id: str, upload_id: str, account: str | None) -> dict[str, Any]:
        """Dashboard: install an older version from Version History (test mode)."""
        app = self._backend.apps.app_doc(app_id)
        if app is None:
            raise KeyError(app_id)
        upload = self._backend.apps.upload_doc(upload_id)
        if upload is None or upload["app"] != app["id"] or upload["status"] != "completed":
            raise ValueError(f"{upload_id} is not a completed upload of {app_id}")
        target = account or app["account"]
        newest = self._backend.apps.newest_completed(app["id"])
        considered = int(newest["_seq"]) if newest else int(upload["_seq"])
        existing = self._find(target, False, app["id"])
        if existing is not None:
            return self._reinstall(existing, upload, direct=False, considered=considered)
        install: dict[str, Any] = {
            "id": random_id("appinst_test_"),
            "object": "apps.install",
            "account": target,
            "app": app["id"],
            "auth_code": None,
            "channel": "private_test",
            "created": self._backend.clock.now_int(),
            "created_by": None,
            "livemode": False,
            "status": "installing",
            "_upload": upload["id"],
            "_considered": considered,
            "_transition": self._backend.transitions.start("install"),
        }
        self._grant(install, upload)
        self._backend.store.put("install", install["id"], install)
        view = self.render(install)
        self._authorized(install, direct=False)
        self._emit(install, "apps.install.created", view, direct=False)
        return view

    def installed_upload(self, id_: str) -> str | None:
        """The upload an install runs (emulator bookkeeping, never on the wire object)."""
        install = self._backend.store.get("install", id_)
        settled = None if install is None else self.settle(install)
        return None if settled is None else str(settled["_upload"])
