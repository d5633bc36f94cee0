"""Uploading app versions: the emulator's upload surface (`api`) or the Stripe CLI (`cli`).

Stripe has no public upload API: against real Stripe the provider runs `stripe apps upload`, and
cannot list Version History (the CLI has no such command), so the version rule is only as good as
the provider's own state there, and an existing upload is adopted on Stripe's refusal of the declared
version alone (CliUploader says why that is sound and what it cannot tell). The emulator's upload
surface answers both.
"""

from __future__ import annotations

import contextlib
import functools
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
from pulumi_stripe_apps.poll import remaining, run_command, timeout_fix
from pulumi_stripe_apps.retry import RATE_LIMIT_RETRIES, backoff
from pulumi_stripe_apps.settings import APP_IDS_HELP, Settings
from pulumi_stripe_apps.shared_reads import SharedReads
from pulumi_stripe_apps.stripe_api import CLIENTS

if TYPE_CHECKING:
    from pulumi_stripe_apps.http import StripeHttp

UPLOADS_PATH = "/v1/apps/uploads"


def open_http(settings: Settings) -> StripeHttp:
    """The shared client for the test-mode key, which uploads, Version History and the app object use; the
    HTTP machinery loads only when a call is made (preview needs none)."""
    return CLIENTS.get(settings.api_base, settings.key_for("test"))


PAGE = "100"
# Keyed by the client (one per API base and key, shared) and the app.
HISTORY_READS: SharedReads[tuple[object, str], tuple[Upload, ...]] = SharedReads()


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
    def account(self) -> str | None: ...
    def close(self) -> None: ...


class ApiUploader:
    """The emulator's upload surface: multipart `POST /v1/apps/uploads`, Version History by listing."""

    can_list = True

    def __init__(self, settings: Settings, http: StripeHttp | None = None) -> None:
        self._http = http or open_http(settings)

    def close(self) -> None:
        pass  # the client is shared (stripe_api.CLIENTS)

    def account(self) -> str | None:
        """The account the uploads and Version History read here belong to (the key's)."""
        from pulumi_stripe_apps.gone import key_account  # noqa: PLC0415 - asked only when a message needs it

        return key_account(self._http)

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
        """Version History of an app object (`app_...`), newest first, read after this call began: concurrent
        calls for one app (the installs of a rollout) share one read (shared_reads.py)."""
        read = functools.partial(self._read_history, app)
        return list(HISTORY_READS.get((self._http, app), read))

    def _read_history(self, app: str) -> tuple[Upload, ...]:
        return tuple(self._pages({"app": app}, f"app {app}"))

    def get(self, upload_id: str) -> Upload | None:
        """The upload; a missing one raises Stripe's `resource_missing` (gone.py decides what that means)."""
        found = self._http.get(
            f"{UPLOADS_PATH}/{upload_id}", action="reading", subject=f"upload {upload_id}", fix=upload_key_fix
        )
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


# -- The Stripe CLI --------------------------------------------------------------------------------
# Stripe documents neither the exit code of a refused upload nor the wording of its refusal, so the
# transcript is read before the exit code decides anything (see CliUploader for what counts as what).

# What the apps plugin prints when an upload did not land; U+00D7 is its failure mark
# ("\u00d7 Failed to register NAME").
_FAILURE_LINE = re.compile(r"^\s*(\u00d7|\u2717|Request failed\b|\[ERROR\]|Error:)", re.MULTILINE)
_SUCCESS_LINE = re.compile(r"^\s*(✔\s*Uploaded\b|App uploaded successfully\b)", re.MULTILINE)
# Stripe's error as the plugin prints it; the body is JSON, on one line or pretty-printed over several.
_REQUEST_FAILED = re.compile(r"Request failed, status=(\d+), body=")
# A refusal's words: the version "already exists", "has already been uploaded", "exists already"...
_ALREADY = re.compile(
    r"\balready\s+(?:been\s+)?(?:uploaded|exists?|registered|published|in\s+use)\b|\bexists?\s+already\b",
    re.IGNORECASE,
)
_VERSION_WORD = re.compile(r"\bversions?\b", re.IGNORECASE)
# The app object's id, only where a CLI states it: a line of its own, labelled ("App ID: app_...",
# "App object: app_..."). A token inside a URL or another word is never one: the Dashboard URL names
# the manifest id, which may contain `app_` itself (`com.acme.app_billing01`).
_APP_OBJECT = re.compile(
    r"^[^\w\n]*(?i:app(?:lication)?\s+(?:object\s+)?id|app\s+object)\s*[:=]\s*(app_[A-Za-z0-9]+)[ \t]*$",
    re.MULTILINE,
)
# The confirmation prompt (`... Do you want to proceed? [Y/n]:`) reads stdin; this is our answer, so
# the prompt's default answer does not matter.
CONFIRMATION = "y\n"


class CliUploader:
    """Real Stripe: runs `stripe apps upload` in the app directory, non-interactively, with a timeout.

    The CLI builds and packages the app directory itself, so it uploads what its own rules pick:
    `bundle_dir` and `ignore` cannot be honoured and are refused at preview. The confirmation prompt
    is answered `y` on stdin.

    The transcript decides, whatever the exit code (0 or not):
    - already uploaded, adopted with a warning: Stripe refused the declared version because it holds
      it. Either Stripe's error in the transcript (`Request failed, status=N, body={...}`) with code
      `resource_already_exists` about the version (param `version`, or no param and a message about
      the version), or a line saying the declared version already exists or was already uploaded, in
      any wording that names that version.
    - any other failure line or a non-zero exit fails, with the exit code, Stripe's code, status and
      Request-Id when the transcript has them, its last lines and a fix; a 429 is run again after a
      backoff first, as every other call is.
    - uploaded: exit 0 and the success line ("✔ Uploaded NAME", "App uploaded successfully ...").

    Why the refusal is sound evidence: only Stripe can say it holds a version, and the refusal is
    Stripe saying so about this app (the CLI runs in its directory) and this version (it names the
    version, or carries Stripe's code for it). A refusal about anything else (an app id taken, a
    `resource_already_exists` on another param) is not adopted. What it cannot tell is the content:
    Stripe shows no Version History or bundle through any API, so the stack takes the existing upload
    as the declared content and says so. Nothing else knows more: the Install API names no version,
    and a marker recorded before an upload would show only that a run of ours tried, not what Stripe
    holds, and there is none when a person uploaded. Both recoveries rest on this: `pulumi up` after an
    interrupted run, and the first run, where the first version is uploaded by hand with the CLI (that
    creates the app object, whose id goes into `stripe-apps:appIds`) and `pulumi up` adopts it.

    The app object's id comes from `stripe-apps:appIds`, or from a CLI that states it on a labelled
    line (`_APP_OBJECT`); when both are present and differ, the upload fails naming both. The current
    CLI never states it.

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

    def account(self) -> str | None:
        return None  # the CLI names no account the provider could compare

    def upload(self, app_dir: Path, bundle_root: Path, files: Sequence[str], fingerprint: str) -> Upload:
        from pulumi_stripe_apps.manifest import load_manifest  # noqa: PLC0415

        data, _ = load_manifest(app_dir)
        manifest_id, version = str(data.get("id")), str(data.get("version"))
        subject = f"app version {manifest_id}@{version}"
        for attempt in itertools.count(1):
            returncode, output = self._run(app_dir, subject)
            outcome = read_transcript(subject, version, output, returncode)
            # A rate-limited upload landed nothing: back off and run it again, as for every other call.
            if not isinstance(outcome, StripeAppsError) or outcome.http_status != 429 or attempt > RATE_LIMIT_RETRIES:
                break
            time.sleep(backoff(attempt, random.Random()))
        if isinstance(outcome, StripeAppsError):
            raise outcome
        app = app_object_id(subject, manifest_id, output, self._app_ids.get(manifest_id))
        if outcome == "exists":
            print(
                f"warning: {subject} was already uploaded (an interrupted earlier run, a first upload by hand, "
                "or another uploader); Stripe cannot show its content, so this stack takes it as the declared "
                "content. If the content differs, bump `version`.",
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

    def _run(self, app_dir: Path, subject: str) -> tuple[int, str]:
        """The CLI's exit code and its transcript (stdout, then stderr), the key redacted."""
        env = {**os.environ, "STRIPE_CLI_TELEMETRY_OPTOUT": "1"}
        command = [self._command, "apps", "upload", "--api-key", self._key]
        limit = remaining(self._timeout)
        try:
            done = run_command(
                command,
                cwd=str(app_dir),
                env=env,
                stdin=CONFIRMATION,
                timeout=limit,
                action="uploading",
                subject=subject,
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
                f"`stripe apps upload` did not finish within {limit:.0f}s",
                fix=timeout_fix("raise stripe-apps:uploadTimeout, or run the upload by hand to see where it waits"),
            ) from None
        return done.returncode, self._redact(done.stdout + "\n" + done.stderr)

    def _redact(self, text: str) -> str:
        return text.replace(self._key, self._key[:8] + "***")


def read_transcript(subject: str, version: str, output: str, returncode: int) -> str | StripeAppsError:
    """What one run of `stripe apps upload` did: "uploaded", "exists" (Stripe refused the declared
    version as already uploaded) or the failure, read from the transcript before the exit code."""
    if _refused_as_existing(output, version):
        return "exists"
    if returncode != 0 or _FAILURE_LINE.search(output) is not None:
        return _cli_error(subject, output, returncode)
    if _SUCCESS_LINE.search(output) is None:
        return StripeAppsError(
            "uploading",
            subject,
            f"`stripe apps upload` exited with 0 but did not report an upload: {_tail(output)}",
            fix="run `stripe apps upload` in the app directory by hand to see what it asks or reports",
        )
    return "uploaded"


def app_object_id(subject: str, manifest_id: str, output: str, configured: str | None) -> str:
    """The app object's id: `stripe-apps:appIds`, or what the CLI states on a labelled line; "" when neither."""
    stated = sorted({found.group(1) for found in _APP_OBJECT.finditer(output)} - {manifest_id})
    if len(stated) > 1 or (stated and configured and stated[0] != configured):
        named = " and ".join(stated)
        raise StripeAppsError(
            "uploading",
            subject,
            f"`stripe apps upload` states app object {named}"
            + (f", but stripe-apps:appIds maps {manifest_id} to {configured}" if configured else "")
            + "; the version was uploaded, and is adopted by the next `pulumi up` once the id is right",
            fix=APP_IDS_HELP.replace("MANIFEST_ID", manifest_id),
        )
    return configured or (stated[0] if stated else "")


def _stripe_error(output: str) -> tuple[int, dict[str, Any]] | None:
    """Stripe's status and error object inside a CLI transcript (`Request failed, status=N, body={...}`)."""
    found = _REQUEST_FAILED.search(output)
    if found is None:
        return None
    error: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        parsed, _ = json.JSONDecoder().raw_decode(output, found.end())
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            error = parsed["error"]
    return int(found.group(1)), error


def _names_version(text: str, version: str) -> bool:
    """`text` names `version` as a whole token (`1.0.0`, `v1.0.0`, `'1.0.0'`; not `11.0.0` or `1.0.0.1`)."""
    return re.search(rf"(?<![\w.-])v?{re.escape(version)}(?![\w-]|\.\w)", text) is not None


def _refused_as_existing(output: str, version: str) -> bool:
    """Stripe refused the upload because it already holds this version (see CliUploader)."""
    found = _stripe_error(output)
    if found is not None and found[1]:
        error = found[1]
        param, message = error.get("param"), str(error.get("message") or "")
        if param not in (None, "version"):
            return False  # about something else: an app id, a field of the manifest
        if error.get("code") == "resource_already_exists":
            return param == "version" or _names_version(message, version) or _VERSION_WORD.search(message) is not None
        return _ALREADY.search(message) is not None and _names_version(message, version)
    return any(_ALREADY.search(line) and _names_version(line, version) for line in output.splitlines())


def _cli_error(subject: str, output: str, returncode: int) -> StripeAppsError:
    """A failed upload: the exit code, Stripe's error when the transcript carries one, its last lines and a fix."""
    found = _stripe_error(output)
    status, body = found if found is not None else (None, {})
    message = str(body.get("message") or "")
    request_log = str(body.get("request_log_url") or "")
    detail = f"`stripe apps upload` exited with {returncode}: " + (
        f"{message} (its last lines: {_tail(output)})" if message else _tail(output)
    )
    return StripeAppsError(
        "uploading",
        subject,
        detail,
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


def _tail(output: str, lines: int = 6, width: int = 300) -> str:
    """The transcript's last non-empty lines on one line, each cut to `width` (a JSON body can be long)."""
    kept = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return " | ".join(line if len(line) <= width else line[:width] + "..." for line in kept[-lines:]) or "no output"


@contextlib.contextmanager
def uploader_for(settings: Settings) -> Iterator[Uploader]:
    """The configured upload backend; its connections close when the block ends."""
    problem = settings.uploader_problem()
    if problem:  # `check` refuses it first; the emulator's upload routes are never called on Stripe
        raise StripeAppsError("uploading", "with stripe-apps:uploader", problem)
    uploader: Uploader = CliUploader(settings) if settings.uploader == "cli" else ApiUploader(settings)
    try:
        yield uploader
    finally:
        uploader.close()
