"""AppVersion: one uploaded version of a Stripe App, like `stripe apps upload`.

check   reads stripe-app.json, validates it, fingerprints the bundle (no HTTP but the surface handshake of
        surface.py); with the Stripe CLI (the uploader on Stripe's public surface) the app's `app_...` id must be
        in stack config stripe-apps:appIds; the emulator's upload API is refused anywhere but the emulator
diff    version or content change -> replace (a new upload); versions are immutable
create  emulator: GET /v1/apps/uploads?app_id= (adopt a matching upload) or POST /v1/apps/uploads,
        then GET /v1/apps/uploads/:id until completed or failed; GET /v1/apps/apps/:app (signing secret);
        GET /v1/account (the account the upload lives on, once per process)
        Stripe: `stripe apps upload` in the app directory (no Version History to adopt from or poll)
read    emulator: GET /v1/apps/uploads/:id (status; a failed upload is drift; resource_missing on the recorded
        account -> gone, see gone.py); Stripe: state as recorded
delete  nothing: Stripe cannot delete versions, so the version only leaves the stack
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    ReadResult,
    Resource,
)
from pulumi.runtime.rpc import UNKNOWN

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.fields import (
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
)
from pulumi_stripe_apps.fingerprint import fingerprint, iter_bundle_files
from pulumi_stripe_apps.gone import confirm_gone, key_account
from pulumi_stripe_apps.poll import wait_until
from pulumi_stripe_apps.resources.base import ConfiguredProvider, after_declaration
from pulumi_stripe_apps.settings import APP_IDS_HELP
from pulumi_stripe_apps.uploads import Upload, Uploader, open_http, uploader_for

# Descriptions and examples are the schema's (camelCase names; the dynamic resource takes the same in snake_case).
FIELDS: tuple[Field, ...] = (
    Field(
        "app_dir",
        Policy.IGNORE,
        "string",
        "The app's directory, holding stripe-app.json.",
        example='"./billing-app"',
        required=True,
    ),
    Field(
        "bundle_dir",
        Policy.IGNORE,
        "string",
        "The directory of the built bundle, when not `appDir` (the emulator's `api` uploader only).",
        example='"./billing-app/dist"',
    ),
    Field(
        "ignore",
        Policy.IGNORE,
        "array",
        "More ignore patterns (a gitignore subset) for the bundle (the emulator's `api` uploader only).",
        example='["*.map", "coverage/"]',
        nullable=False,
    ),
    Field(
        "app_id",
        Policy.REPLACE,
        "string",
        "The manifest's `id`; another id is another app, so a new upload.",
        example='"com.example.billing"',
        derived=True,
    ),
    Field(
        "version",
        Policy.REPLACE,
        "string",
        "The manifest's `version`; immutable once uploaded, so a new version is a new upload.",
        example='"1.2.0"',
        derived=True,
    ),
    Field(
        "fingerprint",
        Policy.REPLACE,
        "string",
        "sha256 of the normalized manifest and bundle files; new content needs a new `version`.",
        example='"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
        derived=True,
    ),
    Field(
        "distribution_type",
        Policy.COMPUTED,
        "string",
        "The manifest's `distribution_type`: `private` or `public`.",
        example='"private"',
    ),
    Field(
        "sandbox_install_compatible",
        Policy.COMPUTED,
        "boolean",
        "Whether sandboxes may install the version; pass it to AppInstallation's `sandboxInstallCompatible`.",
        example="true",
    ),
    Field(
        "permissions",
        Policy.COMPUTED,
        "array",
        "The permission names the version asks for; pass them to AppInstallation's `requestedPermissions`.",
        example='["customer_read"]',
    ),
    Field(
        "requested_access",
        Policy.COMPUTED,
        "object",
        "What installing the version asks for (permissions, connect_src, image_src, endpoints); pass it to "
        "AppInstallation's `requestedAccess`.",
        example='{"permissions": ["customer_read"], "connect_src": ["https://api.example.com/"]}',
    ),
    Field(
        "app",
        Policy.COMPUTED,
        "string",
        "The app object id; pass it to AppInstallation's `app`.",
        example='"app_1NfPz2ExampleApp"',
    ),
    Field("upload_id", Policy.COMPUTED, "string", "The upload's id in Version History.", example='"appupl_123"'),
    Field(
        "account",
        Policy.COMPUTED,
        "string",
        "The account the version was uploaded to, as the emulator's key names it; null through the Stripe CLI.",
        example='"acct_1Nv0FGExampleAcct"',
        nullable=True,
    ),
    Field(
        "status",
        Policy.COMPUTED,
        "string",
        "`processing`, `completed` or `failed`; `uploaded` through the Stripe CLI. A failed upload is made again.",
        example='"completed"',
    ),
    Field(
        "upload_errors",
        Policy.COMPUTED,
        "array",
        "Stripe's validation messages when `status` is `failed`.",
        example='["ui_extension.views[0].viewport: unknown viewport"]',
    ),
    Field(
        "signing_secret",
        Policy.COMPUTED,
        "string",
        "The app's signing secret, or null (Stripe shows it only in the Dashboard).",
        example='"absec_123"',
        secret=True,
        nullable=True,
    ),
)
OUTPUTS = [field.name for field in FIELDS]


class AppVersionProvider(ConfiguredProvider):
    """Uploads versions and watches their processing; see the module docstring."""

    # -- lifecycle ------------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        if any(_holds_unknown(news.get(name)) for name in ("app_dir", "bundle_dir", "ignore")):
            # Known at apply time (another resource writes or builds the app): there is nothing to read yet, so what
            # the manifest and the content decide is unknown too, a possible replace; `up` checks it all.
            from_config = ("app",) if self.settings().uploader == "cli" else ()  # found by the manifest's id
            return CheckResult({**news, **dict.fromkeys((*_FROM_THE_APP, *from_config), UNKNOWN)}, [])
        app_dir_value = news.get("app_dir")
        if not isinstance(app_dir_value, str) or not app_dir_value:
            return CheckResult(
                news, [CheckFailure("app_dir", "app_dir is required: the directory holding stripe-app.json")]
            )
        app_dir = Path(app_dir_value)
        if not (app_dir / "stripe-app.json").is_file():
            return CheckResult(
                news,
                [CheckFailure("app_dir", f"{app_dir} has no stripe-app.json; point app_dir at the app's directory")],
            )
        bundle_dir = Path(news["bundle_dir"]) if news.get("bundle_dir") else None
        if bundle_dir is not None and not bundle_dir.is_dir():
            failures.append(CheckFailure("bundle_dir", f"{bundle_dir} is not a directory; build the app first"))
        ignore = news.get("ignore") or []
        if not isinstance(ignore, list) or not all(isinstance(item, str) for item in ignore):
            failures.append(CheckFailure("ignore", "ignore must be a list of patterns such as `*.map`"))
            ignore = []
        settings = self.settings()
        problem = settings.uploader_problem()
        if problem:
            failures.append(CheckFailure("app_dir", problem))
        elif settings.uploader == "cli":
            failures += [
                CheckFailure(
                    name,
                    f"{name} cannot be used with the Stripe CLI uploader: `stripe apps upload` builds and packages "
                    "the app directory by its own rules. Remove it (or use the emulator's `api` uploader)",
                )
                for name in ("bundle_dir", "ignore")
                if news.get(name)
            ]
        # The validator loads with the first check: a provider process that only reads
        # (refresh, destroy) never pays for it.
        from pulumi_stripe_apps.manifest import load_manifest  # noqa: PLC0415

        _, report = load_manifest(app_dir)
        for issue in report.errors:
            path = issue.path or "stripe-app.json"
            failures.append(CheckFailure(path, f"stripe-app.json: {issue.message} Fix: {issue.fix}"))
        for issue in report.warnings:
            print(f"warning: stripe-app.json {issue}", file=sys.stderr)
        if failures or report.manifest is None:
            return CheckResult(news, failures)
        manifest = report.manifest
        digest = fingerprint(app_dir, bundle_dir=bundle_dir, ignore=ignore).digest
        olds_same_version = olds.get("app_id") == manifest.id and olds.get("version") == manifest.version
        if olds_same_version and olds.get("fingerprint") not in (None, digest):
            failures.append(
                CheckFailure(
                    "version",
                    f"the content of {manifest.id} changed but its version is still {manifest.version}. "
                    "Versions are immutable on Stripe (an uploaded version can never be replaced): bump "
                    "`version` in stripe-app.json to upload the new content.",
                )
            )
        checked = {
            **news,
            "ignore": ignore,
            "app_id": manifest.id,
            "version": manifest.version,
            "fingerprint": digest,
            "distribution_type": manifest.distribution_type,
            "sandbox_install_compatible": manifest.sandbox_install_compatible,
            "permissions": manifest.permission_names(),
            "requested_access": manifest.requested_access(),
        }
        if settings.uploader == "cli":  # the CLI never names the app object: it comes from config
            app = settings.app_object_id(manifest.id)
            if app is None:
                failures.append(
                    CheckFailure(
                        "app_id",
                        f"the app object id of {manifest.id} is not in stack config stripe-apps:appIds: Stripe's "
                        "public API and the Stripe CLI never show it, and installs need it. "
                        + APP_IDS_HELP.replace("MANIFEST_ID", manifest.id),
                    )
                )
            checked["app"] = app
        return CheckResult(checked, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any], ignore_changes: Collection[str] = ()) -> Diff:
        changes = field_changes(FIELDS, olds, news, ignore_changes)
        if olds.get("status") == "failed" and not ignored("status", ignore_changes):
            # Stripe failed this upload after accepting it; a new upload of the same version is allowed.
            changes.append(PropertyChange("status", Change.UPDATE, replace=True, input=False))
        if changes:
            changes += carried_changes(FIELDS, olds, news, ignore_changes)
        return Diff(changes)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with contextlib.ExitStack() as scope:
            settings = self.settings()
            uploader = scope.enter_context(uploader_for(settings))
            subject = f"app version {props['app_id']}@{props['version']}"
            upload = self._adoptable(uploader, props, subject)
            if upload is None:
                upload = self._upload(uploader, props, subject)
            if uploader.can_list and not upload.settled:
                upload = wait_until(
                    lambda: uploader.get(upload.id) or upload,
                    lambda current: current.settled,
                    timeout=settings.upload_timeout,
                    action="processing",
                    subject=subject,
                    describe=lambda current: current.status,
                )
            if upload.status == "failed":
                problems = "; ".join(f"{issue.path or '(root)'}: {issue.message}" for issue in upload.errors)
                raise StripeAppsError(
                    "processing",
                    subject,
                    f"Stripe rejected the upload ({upload.id}): {problems or 'no details given'}",
                    fix="fix stripe-app.json and bump `version`, then run `pulumi up` again",
                )
            return CreateResult(id_=upload.id, outs=self._outputs(props, upload, uploader))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with contextlib.ExitStack() as scope:
            uploader = scope.enter_context(uploader_for(self.settings()))
            if not uploader.can_list:
                return ReadResult(id_=id_, outs=public(props), inputs=_inputs(props))
            try:
                upload = uploader.get(id_)
            except StripeAppsError as error:
                # Versions cannot be deleted, so only a reset backend loses one: then plan a new upload.
                confirm_gone(error, open_http(self.settings()), recorded_account=props.get("account"))
                print(f"drift: upload {id_} of {props.get('app_id')}@{props.get('version')} is gone", file=sys.stderr)
                return ReadResult(id_="", outs={})
            if upload is None:
                return ReadResult(id_=id_, outs=public(props), inputs=_inputs(props))
            if upload.status == "failed":
                print(
                    f"drift: upload {upload.id} of {upload.app_id}@{upload.version} failed processing after it "
                    "was accepted; the next `pulumi up` uploads it again",
                    file=sys.stderr,
                )
            outs = {
                **public(props),
                "status": upload.status,
                "upload_errors": [issue.message for issue in upload.errors],
                # State written before the account was recorded gets it on its first refresh.
                "account": props.get("account") or key_account(open_http(self.settings())),
            }
            inputs = {**_inputs(props), "app_id": upload.app_id, "version": upload.version}
            return ReadResult(id_=id_, outs=outs, inputs=inputs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        print(
            f"{props.get('app_id')}@{props.get('version')} stays in the app's Version History: Stripe cannot "
            "delete app versions (only Stripe support can); it was removed from this stack only.",
            file=sys.stderr,
        )

    # -- helpers --------------------------------------------------------------------------------------

    def _adoptable(self, uploader: Uploader, props: dict[str, Any], subject: str) -> Upload | None:
        """An earlier upload of this exact version and content, by us or by another stack."""
        same_version = [
            upload
            for upload in uploader.versions(props["app_id"])
            if upload.version == props["version"] and upload.status != "failed"
        ]
        if not same_version:
            return None
        existing = same_version[0]
        if existing.fingerprint == props["fingerprint"]:
            return existing
        raise StripeAppsError(
            "uploading",
            subject,
            f"version {props['version']} was already uploaded ({existing.id}) with other content "
            f"({existing.fingerprint or 'unknown fingerprint'}, this is {props['fingerprint']})",
            code="resource_already_exists",
            fix="versions are immutable on Stripe: bump `version` in stripe-app.json",
        )

    def _upload(self, uploader: Uploader, props: dict[str, Any], subject: str) -> Upload:
        app_dir = Path(props["app_dir"])
        bundle_dir = Path(props["bundle_dir"]) if props.get("bundle_dir") else None
        files = list(iter_bundle_files(app_dir, bundle_dir=bundle_dir, ignore=props.get("ignore") or []))
        try:
            return uploader.upload(app_dir, bundle_dir or app_dir, files, props["fingerprint"])
        except StripeAppsError as error:
            if error.code != "resource_already_exists":
                raise
            # Another writer uploaded this version between our lookup and our upload.
            adopted = self._adoptable(uploader, props, subject)
            if adopted is None:
                raise
            return adopted

    def _outputs(self, props: dict[str, Any], upload: Upload, uploader: Uploader) -> dict[str, Any]:
        settings = self.settings()
        return {
            **public(props),
            # Where refresh may later read the upload (the emulator's API), the account it lives on is recorded.
            "account": key_account(open_http(settings)) if uploader.can_list else None,
            "app": upload.app or props.get("app") or None,
            "upload_id": upload.id,
            "status": upload.status,
            "upload_errors": [issue.message for issue in upload.errors],
            "signing_secret": uploader.signing_secret(upload.app) if upload.app else None,
        }


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    names = [field.name for field in FIELDS if field.policy is not Policy.COMPUTED or field.name in _CHECKED]
    return {name: props.get(name) for name in names}


# Inputs that `check` derives from the app directory; they are compared on every diff.
_CHECKED = ("distribution_type", "sandbox_install_compatible", "permissions", "requested_access")


# What `check` reads from the app directory: unknown while the directory is (preview; another resource makes it).
_FROM_THE_APP = (
    "app_id",
    "version",
    "fingerprint",
    "distribution_type",
    "sandbox_install_compatible",
    "permissions",
    "requested_access",
)


def _absolute(path: pulumi.Input[str] | os.PathLike[str]) -> pulumi.Input[str]:
    """A path made absolute in the program's working directory; one known only at apply time (a build step's output)
    once it is known."""
    if isinstance(path, str | os.PathLike):
        return os.path.abspath(path)
    return pulumi.Output.concat(path).apply(os.path.abspath)


def _holds_unknown(value: object) -> bool:
    return is_unknown(value) or (isinstance(value, list) and any(is_unknown(item) for item in value))


class AppVersion(Resource, module="stripeapps", name="AppVersion"):
    """An uploaded, immutable version of a Stripe App, built from the directory holding stripe-app.json."""

    # Outputs, for type checkers only: annotations on the class itself would make the Pulumi SDK evaluate
    # them (`get_type_hints`, uncached) every time a resource's outputs arrive: milliseconds of CPU per resource.
    if TYPE_CHECKING:
        app: pulumi.Output[str]
        app_id: pulumi.Output[str]
        version: pulumi.Output[str]
        fingerprint: pulumi.Output[str]
        upload_id: pulumi.Output[str]
        account: pulumi.Output[str | None]
        status: pulumi.Output[str]
        upload_errors: pulumi.Output[list[str]]
        permissions: pulumi.Output[list[str]]
        requested_access: pulumi.Output[dict[str, list[str]]]
        distribution_type: pulumi.Output[str]
        sandbox_install_compatible: pulumi.Output[bool]
        signing_secret: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        app_dir: pulumi.Input[str] | os.PathLike[str],
        *,
        bundle_dir: pulumi.Input[str] | os.PathLike[str] | None = None,
        ignore: pulumi.Input[list[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(OUTPUTS)
        props.update(
            # Absolute paths: the provider process does not share the program's working directory.
            app_dir=_absolute(app_dir),
            bundle_dir=_absolute(bundle_dir) if bundle_dir is not None else None,
            ignore=list(ignore or []) if isinstance(ignore, list | tuple | None) else ignore,
        )
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["signing_secret"])
        super().__init__(AppVersionProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret_opts, opts))
        after_declaration()
