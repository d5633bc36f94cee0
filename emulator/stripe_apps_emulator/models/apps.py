"""Apps and uploads (emulator-only: Stripe has no public upload API) and their processing."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from ..errors import (
    AppIdTakenError,
    DistributionTypeInvalidError,
    InvalidRequestError,
    LiveInstallExistsError,
    LivemodeMismatchError,
    ManifestInvalidError,
    ResourceAlreadyExistsError,
    ResourceMissingError,
)
from ..ids import public, random_id
from .accounts import Caller
from .listing import paginate
from .manifest_schema import upload_errors

if TYPE_CHECKING:
    from . import Backend

APP_ID = re.compile(r"^[a-zA-Z0-9_\-\.]+$")
DISTRIBUTION_TYPES = ("private", "public")
MARKETPLACE_STATUSES = ("unlisted", "in_review", "approved", "rejected")


def validate_manifest(data: dict[str, Any]) -> list[dict[str, str]]:
    """What upload processing finds wrong, as wire dicts ({"path", "message"}); [] when Stripe accepts it.

    The emulator's own rules (`manifest_schema`: Stripe's published schema plus the documented server
    rules it lags behind), never the provider's validator: the emulator is the oracle its tests check
    the provider against.
    """
    return upload_errors(data)


def requirements(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a version asks the installer for: permissions, CSP entries and endpoints."""
    permissions: list[str] = []
    for item in manifest.get("permissions") or []:
        if isinstance(item, dict) and isinstance(item.get("permission"), str):
            permissions.append(item["permission"])
    ui = manifest.get("ui_extension")
    csp = ui.get("content_security_policy") if isinstance(ui, dict) else None
    csp = csp if isinstance(csp, dict) else {}
    endpoints = manifest.get("allowed_redirect_uris")
    return {
        "permissions": sorted(set(permissions)),
        "content_security_policy": {
            "connect_src": _strings(csp.get("connect-src")),
            "image_src": _strings(csp.get("image-src")),
        },
        "endpoints": _strings(endpoints),
    }


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


class Apps:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        # Every install request reads its app's Version History (the version rule) and uploads are large:
        # grouped by app, a lookup decodes one app's uploads, not every upload of every app.
        backend.store.scope_by("upload", _upload_scope)
        backend.store.scope_by("app", _app_scope)

    # -- uploads --------------------------------------------------------------------------------
    def upload(self, caller: Caller, manifest_text: str, bundle: bytes, fingerprint: str | None) -> dict[str, Any]:
        caller.require_secret_key()
        if caller.livemode:
            raise LivemodeMismatchError(
                "Apps are uploaded in test mode: use a test-mode secret key (sk_test_...) of the app's account."
            )
        manifest = _parse_manifest(manifest_text)
        app_id: str = manifest["id"]
        version: str = manifest["version"]
        distribution = manifest.get("distribution_type", "private")
        if distribution not in DISTRIBUTION_TYPES:
            raise ManifestInvalidError(
                f"manifest.distribution_type: must be one of {', '.join(DISTRIBUTION_TYPES)}", "manifest"
            )
        store = self._backend.store
        app = self.find_by_app_id(app_id)
        if app is not None and app["account"] != caller.account:
            raise AppIdTakenError(f"The app id '{app_id}' is already taken by another account.", "id")
        if app is not None:
            for existing in self._uploads_of(app["id"]):
                if existing["version"] == version and existing["status"] != "failed":
                    raise ResourceAlreadyExistsError(
                        f"Version '{version}' of '{app_id}' was already uploaded; versions are immutable, "
                        "upload a new version string.",
                        "version",
                    )
            if distribution != app["distribution_type"] and not (
                app["distribution_type"] == "private" and distribution == "public"
            ):
                raise DistributionTypeInvalidError(
                    f"The distribution_type of '{app_id}' is '{app['distribution_type']}' "
                    "and cannot change to "
                    f"'{distribution}' (only private -> public is allowed after the first upload).",
                    "distribution_type",
                )
        if distribution == "public" and (app is None or app["distribution_type"] != "public"):
            for other in store.all("app"):
                if other["account"] == caller.account and other["distribution_type"] == "public":
                    raise DistributionTypeInvalidError(
                        f"Account {caller.account} already has a public app ('{other['app_id']}'); "
                        "an account can publish one app.",
                        "distribution_type",
                    )
        now = self._backend.clock.now_int()
        if app is None:
            app = self._new_app(app_id, caller.account, distribution)
        app["distribution_type"] = distribution
        store.put("app", app["id"], app)
        counter = int(store.meta_get("upload_counter", 0)) + 1
        store.meta_set("upload_counter", counter)
        upload = {
            "id": random_id("appupl_"),
            "object": "apps.upload",
            "app": app["id"],
            "app_id": app_id,
            "version": version,
            "status": "processing",
            "errors": [],
            "fingerprint": fingerprint,
            "bundle_sha256": hashlib.sha256(bundle).hexdigest(),
            "bundle_size": len(bundle),
            "created": now,
            "completed_at": None,
            "distribution_type": distribution,
            "sandbox_install_compatible": manifest.get("sandbox_install_compatible") is True,
            **requirements(manifest),
            "livemode": False,
            "_account": caller.account,
            "_seq": counter,
            "_manifest": manifest,
            "_transition": self._backend.transitions.start("upload"),
        }
        store.put("upload", upload["id"], upload)
        return public(upload)

    def _settle_upload(self, upload: dict[str, Any]) -> dict[str, Any]:
        record = upload.get("_transition")
        if not self._backend.transitions.is_due(record):
            return upload
        assert record is not None
        if record["fail"]:
            errors = [{"path": "", "message": "Processing failed (emulated failure)."}]
        else:
            errors = validate_manifest(upload["_manifest"])
        upload["status"] = "failed" if errors else "completed"
        upload["errors"] = errors
        upload["completed_at"] = self._backend.clock.now_int()
        upload["_transition"] = None
        self._backend.store.put("upload", upload["id"], upload)
        return upload

    def _uploads_of(self, app: str) -> list[dict[str, Any]]:
        """The app's uploads, settled, oldest first (upload order)."""
        uploads = self._backend.store.all("upload", scope=app)
        return sorted((self._settle_upload(u) for u in uploads), key=lambda u: int(u["_seq"]))

    def version_history(self, app: str) -> list[dict[str, Any]]:
        """The app's uploads as the Dashboard's Version History lists them: settled, newest first."""
        return list(reversed(self._uploads_of(app)))

    def newest_completed(self, app: str) -> dict[str, Any] | None:
        completed = [u for u in self._uploads_of(app) if u["status"] == "completed"]
        return completed[-1] if completed else None

    def upload_doc(self, id_: str) -> dict[str, Any] | None:
        upload = self._backend.store.get("upload", id_)
        return None if upload is None else self._settle_upload(upload)

    def retrieve_upload(self, caller: Caller, id_: str) -> dict[str, Any]:
        upload = self.upload_doc(id_)
        if upload is None or upload["_account"] != caller.account:
            raise ResourceMissingError(f"No such upload: '{id_}'", "id")
        return public(upload)

    def list_uploads(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        if "app_id" in params:
            apps = self._backend.store.all("app", scope=params["app_id"])
        elif "app" in params:
            apps = [a for a in [self.app_doc(params["app"])] if a is not None]
        else:
            apps = self._backend.store.all("app")
        apps = [a for a in apps if a["account"] == caller.account]
        if "app" in params:
            apps = [a for a in apps if a["id"] == params["app"]]
        uploads: list[dict[str, Any]] = []
        for app in apps:
            uploads.extend(self._uploads_of(app["id"]))
        uploads.sort(key=lambda u: int(u["_seq"]), reverse=True)
        return paginate([public(u) for u in uploads], params, "/v1/apps/uploads")

    # -- apps -----------------------------------------------------------------------------------
    def _new_app(self, app_id: str, account: str, distribution: str) -> dict[str, Any]:
        return {
            "id": random_id("app_"),
            "object": "apps.app",
            "app_id": app_id,
            "account": account,
            "distribution_type": distribution,
            "created": self._backend.clock.now_int(),
            "marketplace": {"status": "unlisted"},
            "_signing_secret": random_id("absec_", 32),
        }

    def register(self, app_id: str, account: str) -> dict[str, Any]:
        """The app object with this manifest id, made ahead of its first upload when there is none yet.

        Stripe makes it on the first `stripe apps upload`, and a developer reads its `app_...` id in
        the Dashboard; tests of the Stripe surface need that id before the stack's first upload.
        """
        if not APP_ID.match(app_id):
            raise ValueError(f"app_id must match {APP_ID.pattern}")
        self._backend.accounts.get(account)
        app = self.find_by_app_id(app_id)
        if app is None:
            app = self._new_app(app_id, account, "private")
            self._backend.store.put("app", app["id"], app)
        elif app["account"] != account:
            raise ValueError(f"the app id {app_id!r} belongs to another account")
        return self.render_app(app, [])

    def find_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        for app in self._backend.store.all("app", scope=app_id):
            return app
        return None

    def app_doc(self, id_: str) -> dict[str, Any] | None:
        return self._backend.store.get("app", id_)

    def render_app(self, app: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        out = public(app)
        out["signing_secret"] = app["_signing_secret"] if "signing_secret" in expand else None
        return out

    def owned_app(self, caller: Caller, id_: str, param: str = "id") -> dict[str, Any]:
        app = self.app_doc(id_)
        if app is None or app["account"] != caller.account:
            raise ResourceMissingError(f"No such app: '{id_}'", param)
        return app

    def retrieve_app(self, caller: Caller, id_: str, expand: list[str]) -> dict[str, Any]:
        return self.render_app(self.owned_app(caller, id_), expand)

    def list_apps(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        expand = [item.removeprefix("data.") for item in params.get("expand", [])]
        apps = [
            self.render_app(a, expand)
            for a in reversed(self._backend.store.all("app"))
            if a["account"] == caller.account and params.get("app_id") in (None, a["app_id"])
        ]
        return paginate(apps, params, "/v1/apps/apps")

    def submit_for_review(self, caller: Caller, id_: str, expand: list[str]) -> dict[str, Any]:
        caller.require_secret_key()
        app = self.owned_app(caller, id_)
        if app["distribution_type"] != "public":
            raise DistributionTypeInvalidError(
                "Only apps with distribution_type 'public' can be submitted to the App Marketplace.",
                "distribution_type",
            )
        if self.newest_completed(app["id"]) is None:
            raise InvalidRequestError("The app has no completed upload to submit.", "id")
        for install in self._backend.store.all("install"):
            if (
                install["app"] == app["id"]
                and install["account"] == app["account"]
                and install["livemode"]
                and self._backend.installs.settle(install) is not None
            ):
                raise LiveInstallExistsError(
                    "The app is installed in live mode on its own account; uninstall it from live mode first "
                    "before publishing it on the App Marketplace.",
                    "id",
                )
        app["marketplace"] = {"status": "in_review"}
        self._backend.store.put("app", app["id"], app)
        return self.render_app(app, expand)

    def review(self, id_: str, decision: str) -> dict[str, Any]:
        app = self.app_doc(id_)
        if app is None:
            raise KeyError(id_)
        if decision not in ("approve", "reject"):
            raise ValueError("decision must be approve or reject")
        app["marketplace"] = {"status": "approved" if decision == "approve" else "rejected"}
        self._backend.store.put("app", app["id"], app)
        return self.render_app(app, [])


def _parse_manifest(text: str) -> dict[str, Any]:
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise ManifestInvalidError(f"manifest: not valid JSON ({exc})", "manifest") from None
    if not isinstance(manifest, dict):
        raise ManifestInvalidError("manifest: must be a JSON object", "manifest")
    app_id = manifest.get("id")
    if not isinstance(app_id, str) or not APP_ID.match(app_id):
        raise ManifestInvalidError("manifest.id: required, and must match ^[a-zA-Z0-9_\\-\\.]+$", "manifest")
    version = manifest.get("version")
    if not isinstance(version, str) or not version:
        raise ManifestInvalidError("manifest.version: required, a non-empty string", "manifest")
    return manifest


def _upload_scope(upload: dict[str, Any]) -> str:
    return str(upload["app"])


def _app_scope(app: dict[str, Any]) -> str:
    return str(app["app_id"])
