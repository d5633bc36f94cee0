"""Uploading app versions: the emulator's upload surface (`api`) or the Stripe CLI (`cli`).

Stripe has no public upload API: against real Stripe the provider runs `stripe apps upload`, and
cannot list Version History (the CLI has no such command), so adoption and the version rule are
only as good as the provider's own state there. The emulator's upload surface answers both.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pulumi_stripe_apps.errors import StripeAppsError, upload_key_fix
from pulumi_stripe_apps.retry import RATE_LIMIT_RETRIES, backoff
from pulumi_stripe_apps.settings import Settings
from pulumi_stripe_apps.stripe_api import CLIENTS

if TYPE_CHECKING:
    from pulumi_stripe_apps.http import StripeHttp

UPLOADS_PATH = "/v1/apps/uploads"


def open_http(settings: Settings) -> StripeHttp:
    """The shared client for the test-mode key, which uploads, Version History and the app object use; the
    HTTP machinery loads only when a call is made (preview needs none)."""
    return CLIENTS.get(settings.api_base, settings.key_for("test"))


PAGE = "100"


@dataclass(frozen=True)
class UploadIssue:
    path: str = ""
    message: str = ""


@dataclass(frozen=True)
class Upload:
    """One uploaded version (`apps.upload` on the emulator); tolerant of fields we do not use."""

    id: str
    app: str
    app_id: str
    version: str
    status: str
    errors: list[UploadIssue] = field(default_factory=list)
    fingerprint: str | None = None
    created: int = 0
    distribution_type: str = "private"
    sandbox_install_compatible: bool = False
    permissions: list[str] = field(default_factory=list)
    content_security_policy: dict[str, list[str]] = field(default_factory=dict)
    endpoints: list[str] = field(default_factory=list)

    @classmethod
    def from_api(cls, found: dict[str, Any]) -> Upload:
        """From the API's JSON: unknown fields ignored, nulls as the defaults."""
        known = {name: found[name] for name in _UPLOAD_FIELDS if found.get(name) is not None}
        issues = [UploadIssue(str(i.get("path") or ""), str(i.get("message") or "")) for i in found.get("errors") or []]
        return cls(**{**known, "errors": issues})

    @property
    def settled(self) -> bool:
        return self.status in ("completed", "failed")


_UPLOAD_FIELDS = tuple(f.name for f in fields(Upload) if f.name != "errors")


class Uploader(Protocol):
    """What AppVersion and AppInstallation need from an upload backend."""

    can_list: bool

    def versions(self, app_id: str) -> list[Upload]: ...
    def history(self, app: str) -> list[Upload]: ...
    def get(self, upload_id: str) -> Upload | None: ...
    def upload(self, app_dir: Path, bundle_root: Path, files: Sequence[str], fingerprint: str) -> Upload: ...
    def signing_secret(self, app: str) -> str | None: ...
    def close(self) -> None: ...


class ApiUploader:
    """The emulator's upload surface: multipart `POST /v1/apps/uploads`, Version History by listing."""

    can_list = True

    def __init__(self, settings: Settings, http: StripeHttp | None = None) -> None:
        self._http = http or open_http(settings)

    def close(self) -> None:
        pass  # the client is shared (stripe_api.CLIENTS)

    def _pages(self, params: dict[str, str], subject: str) -> Iterator[Upload]:
        query = {**params, "limit": PAGE}
        while True:
            page = self._http.get(UPLOADS_PATH, query, action="listing uploads of", subject=subject, fix=upload_key_fix)
            items = [Upload.from_api(item) for item in page.get("data", [])]
            yield from items
            if not page.get("has_more") or not items:
                return
            query["starting_after"] = items[-1].id

    def versions(self, app_id: str) -> list[Upload]:
        """Every upload of the app with this manifest id, newest first."""
        return list(self._pages({"app_id": app_id}, f"app {app_id}"))

    def history(self, app: str) -> list[Upload]:
        """Version History of an app object (`app_...`), newest first."""
        return list(self._pages({"app": app}, f"app {app}"))

    def get(self, upload_id: str) -> Upload | None:
        try:
            found = self._http.get(
                f"{UPLOADS_PATH}/{upload_id}", action="reading", subject=f"upload {upload_id}", fix=upload_key_fix
            )
        except StripeAppsError as error:
            if error.http_status == 404:
                return None
            raise
        return Upload.from_api(found)

    def upload(self, app_dir: Path, bundle_root: Path, files: Sequence[str], fingerprint: str) -> Upload:
        from pulumi_stripe_apps.fingerprint import write_bundle_tar  # noqa: PLC0415 - keeps import light

        manifest_text = (app_dir / "stripe-app.json").read_text(encoding="utf-8")
        with tempfile.TemporaryFile() as bundle:
            write_bundle_tar(files, bundle_root, bundle)

            def parts() -> dict[str, tuple[str, Any, str]]:
                bundle.seek(0)
                return {"bundle": ("bundle.tar.gz", bundle, "application/gzip")}

            created = self._http.post(
                UPLOADS_PATH,
                action="uploading",
                subject=f"app {app_dir.name}",
                data={"manifest": manifest_text, "fingerprint": fingerprint},
                files=parts,
                fix=upload_key_fix,
            )
        return Upload.from_api(created)

    def signing_secret(self, app: str) -> str | None:
        found = self._http.get(
            f"/v1/apps/apps/{app}",
            {"expand": ["signing_secret"]},
            action="reading",
            subject=f"app {app}",
            fix=upload_key_fix,
        )
        secret = found.get("signing_secret")
        return str(secret) if secret else None


# Some CLI versions print the app object's id (`app_...`); the current one does not (see CliUploader).
_APP_OBJECT = re.compile(r"\b(app_[A-Za-z0-9]{8,})\b")  # not `app_id`
# What the apps plugin prints when an upload did not land, whatever its exit code.
# U+00D7 is the apps plugin's failure mark ("\u00d7 Failed to register NAME").
_FAILURE_LINE = re.compile(r"^\s*(\u00d7|\u2717|Request failed\b|\[ERROR\]|Error:)", re.MULTILINE)
_SUCCESS_LINE = re.compile(r"^\s*(✔\s*Uploaded\b|App uploaded successfully\b)", re.MULTILINE)
_REQUEST_FAILED = re.compile(r"Request failed, status=(\d+), body=(\{.*\})", re.DOTALL)
# The confirmation prompt (`... Do you want to proceed? [Y/n]:`) reads stdin; this is our answer.
CONFIRMATION = "y\n"


class CliUploader:
    """Real Stripe: runs `stripe apps upload` in the app directory, non-interactively, with a timeout.

    The CLI builds and packages the app directory itself, so it uploads what its own rules pick:
    `bundle_dir` and `ignore` cannot be honoured and are refused at preview. The confirmation prompt
    is answered on stdin. Success is the CLI's "Uploaded" line; a "Failed to register"/"Request failed" line is
    a failure even when the exit code is 0. The CLI never prints the app object's id, so it comes
    from stack config `stripe-apps:appIds` unless a CLI prints one.

    The key is passed with `--api-key` (the CLI ignores STRIPE_API_KEY, stripe/stripe-apps#375), so
    it is visible to other local users in the process list while the upload runs; it is redacted from
    every message we produce.
    """

    can_list = False

    def __init__(self, settings: Settings) -> None:
        self._command = settings.stripe_cli
        self._key = settings.key_for("test")
        self._timeout = settings.upload_timeout
        self._app_ids = dict(settings.app_ids)

    def close(self) -> None:
        pass

    def versions(self, app_id: str) -> list[Upload]:
        return []

    def history(self, app: str) -> list[Upload]:
        return []

    def get(self, upload_id: str) -> Upload | None:
        return None

    def signing_secret(self, app: str) -> str | None:
        return None

    def upload(self, app_dir: Path, bundle_root: Path, files: Sequence[str], fingerprint: str) -> Upload:
        from pulumi_stripe_apps.manifest import load_manifest  # noqa: PLC0415

        data, _ = load_manifest(app_dir)
        manifest_id, version = str(data.get("id")), str(data.get("version"))
        subject = f"app version {manifest_id}@{version}"
        for attempt in itertools.count(1):
            output = self._run(app_dir, subject)
            failure = _FAILURE_LINE.search(output)
            error = _cli_error(subject, output) if failure is not None else None
            # A rate-limited upload landed nothing: back off and run it again, as for every other call.
            if error is None or error.http_status != 429 or attempt > RATE_LIMIT_RETRIES:
                break
            time.sleep(backoff(attempt, random.Random()))
        adopted = False
        if error is not None:
            if error.code != "resource_already_exists":
                raise error
            # An earlier run uploaded this version and was cut off before it was recorded. Stripe shows
            # no Version History to compare content with, so the version string is trusted.
            adopted = True
        elif _SUCCESS_LINE.search(output) is None:
            raise StripeAppsError(
                "uploading",
                subject,
                f"`stripe apps upload` did not report an upload: {_tail(output)}",
                fix="run `stripe apps upload` in the app directory by hand to see what it asks or reports",
            )
        printed = _APP_OBJECT.search(output)
        app = printed.group(1) if printed else self._app_ids.get(manifest_id, "")
        if adopted:
            print(
                f"warning: {subject} was already uploaded (an interrupted earlier run, or another uploader); "
                "Stripe cannot show its content, so this stack takes it as the declared content. If the "
                "content differs, bump `version`.",
                file=sys.stderr,
            )
        return Upload(
            id=f"cli:{manifest_id}@{version}",
            app=app,
            app_id=manifest_id,
            version=version,
            # The CLI reports acceptance; processing goes on at Stripe where no public API shows it.
            status="uploaded",
            fingerprint=fingerprint,
            distribution_type=str(data.get("distribution_type") or "private"),
            sandbox_install_compatible=bool(data.get("sandbox_install_compatible")),
            permissions=[str(p.get("permission")) for p in data.get("permissions") or [] if isinstance(p, dict)],
        )

    def _run(self, app_dir: Path, subject: str) -> str:
        env = {**os.environ, "STRIPE_CLI_TELEMETRY_OPTOUT": "1"}
        command = [self._command, "apps", "upload", "--api-key", self._key]
        try:
            done = subprocess.run(
                command,
                cwd=app_dir,
                env=env,
                input=CONFIRMATION,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except FileNotFoundError:
            raise StripeAppsError(
                "uploading",
                subject,
                f"the Stripe CLI `{self._command}` was not found",
                fix="install the Stripe CLI with its apps plugin, or set stripe-apps:stripeCli to its path",
            ) from None
        except subprocess.TimeoutExpired:
            raise StripeAppsError(
                "uploading",
                subject,
                f"`stripe apps upload` did not finish within {self._timeout:.0f}s",
                fix="raise stripe-apps:uploadTimeout, or run the upload by hand to see where it waits",
            ) from None
        output = self._redact(done.stdout + "\n" + done.stderr)
        if done.returncode != 0:
            error = _cli_error(subject, output)
            raise StripeAppsError(
                "uploading",
                subject,
                f"`stripe apps upload` exited with {done.returncode}: {error.detail}",
                code=error.code,
                http_status=error.http_status,
                request_id=error.request_id,
                fix=error.fix,
            )
        return output

    def _redact(self, text: str) -> str:
        return text.replace(self._key, self._key[:8] + "***")


def _cli_error(subject: str, output: str) -> StripeAppsError:
    """The Stripe error inside a failed CLI transcript (`Request failed, status=N, body={...}`)."""
    found = _REQUEST_FAILED.search(output)
    body: dict[str, Any] = {}
    if found is not None:
        with contextlib.suppress(ValueError):
            parsed = json.loads(found.group(2))
            body = parsed.get("error", {}) if isinstance(parsed, dict) else {}
    status = int(found.group(1)) if found else None
    request_log = str(body.get("request_log_url") or "")
    return StripeAppsError(
        "uploading",
        subject,
        str(body.get("message") or _tail(output)),
        code=body.get("code"),
        param=body.get("param"),
        http_status=status,
        request_id=request_log.rsplit("/", 1)[-1] if "/logs/req_" in request_log else None,
        fix=_CLI_FIXES.get(status or 0, "run `stripe apps upload` in the app directory by hand to see the failure"),
    )


_CLI_FIXES = {
    401: "the key in stripe-apps:testApiKey was refused: set a valid test-mode secret key",
    403: "uploads need a secret key (sk_test_...) of the app's account in stripe-apps:testApiKey",
    400: "fix what Stripe names above; if the version exists already, bump `version` in stripe-app.json",
}


def _tail(output: str, lines: int = 6) -> str:
    kept = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:]) or "no output"


@contextlib.contextmanager
def uploader_for(settings: Settings) -> Iterator[Uploader]:
    """The configured upload backend; its connections close when the block ends."""
    uploader: Uploader = CliUploader(settings) if settings.uploader == "cli" else ApiUploader(settings)
    try:
        yield uploader
    finally:
        uploader.close()
