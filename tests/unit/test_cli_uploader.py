"""The Stripe CLI uploader's reading of `stripe apps upload`: transcript before exit code, and the app object's id."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from pulumi_stripe_apps import uploads
from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.settings import Settings
from pulumi_stripe_apps.uploads import CliUploader, app_object_id, read_transcript
from tests.support.apps import write_app

SUBJECT = "app version com.example.billing@1.0.0"
KEY = "sk_test_cliuploader0123456789"
PROMPT = "You are about to upload your Stripe App Billing helper to your account. Do you want to proceed? [Y/n]: "
BUILT = "✔ Built files for production\n✔ Packaged files for upload\n"


def request_failed(status: int, error: dict[str, object], *, indent: int | None = None) -> str:
    """A refused upload as the apps plugin prints it: its failure mark, then Stripe's response."""
    body = json.dumps({"error": error}, indent=indent)
    return f"{PROMPT}{BUILT}\u00d7 Failed to register Billing helper\nRequest failed, status={status}, body={body}\n"


EXISTS_ERROR: dict[str, object] = {
    "code": "resource_already_exists",
    "doc_url": "https://stripe.com/docs/error-codes/resource-already-exists",
    "message": "Version '1.0.0' of 'com.example.billing' was already uploaded; versions are immutable, "
    "upload a new version string.",
    "param": "version",
    "request_log_url": "https://dashboard.stripe.com/test/logs/req_Exists123",
    "type": "invalid_request_error",
}

# The declared version (1.0.0) refused as already uploaded, in Stripe's error and in other words.
EXISTS = {
    "stripe-error": request_failed(400, EXISTS_ERROR),
    "stripe-error-pretty-printed": request_failed(400, EXISTS_ERROR, indent=2),
    "stripe-code-without-param": request_failed(
        400, {"code": "resource_already_exists", "message": "This version already exists.", "type": "x"}
    ),
    "stripe-words-other-code": request_failed(
        400, {"code": "version_exists", "message": "Version 1.0.0 has already been uploaded.", "type": "x"}
    ),
    "plain": f"{PROMPT}{BUILT}Error: version 1.0.0 of com.example.billing has already been uploaded\n",
    "plain-v-prefix": f"{PROMPT}{BUILT}\u00d7 App com.example.billing v1.0.0 already exists\n",
    "plain-quoted": f"{PROMPT}{BUILT}[ERROR] a version '1.0.0' exists already for this app.\n",
}


@pytest.mark.parametrize("returncode", [0, 1])
@pytest.mark.parametrize("transcript", EXISTS.values(), ids=EXISTS.keys())
def test_a_refusal_of_the_declared_version_is_adopted_whatever_the_exit_code(transcript: str, returncode: int) -> None:
    assert read_transcript(SUBJECT, "1.0.0", transcript, returncode) == "exists"


NOT_EXISTS = {
    # `resource_already_exists` about another param: the app id, not the version.
    "code-on-another-param": request_failed(
        400,
        {"code": "resource_already_exists", "message": "App id 'com.example.billing' already exists.", "param": "id"},
    ),
    "app-id-taken": request_failed(
        400, {"code": "app_id_taken", "message": "The app id 'com.example.billing' is already taken.", "param": "id"}
    ),
    "another-version": f"{PROMPT}{BUILT}Error: version 0.9.0 of com.example.billing has already been uploaded\n",
    "a-longer-version": f"{PROMPT}{BUILT}Error: version 11.0.0 has already been uploaded\n",
    "a-version-suffix": f"{PROMPT}{BUILT}Error: version 1.0.0.1 has already been uploaded\n",
    "no-version-named": f"{PROMPT}{BUILT}Error: app com.example.billing already exists in another account\n",
    "version-named-not-refused": f"{PROMPT}{BUILT}Error: version 1.0.0 could not be packaged\n",
}


@pytest.mark.parametrize("returncode", [0, 1])
@pytest.mark.parametrize("transcript", NOT_EXISTS.values(), ids=NOT_EXISTS.keys())
def test_other_refusals_are_failures_not_adoptions(transcript: str, returncode: int) -> None:
    outcome = read_transcript(SUBJECT, "1.0.0", transcript, returncode)
    assert isinstance(outcome, StripeAppsError)
    assert f"exited with {returncode}" in str(outcome)


@pytest.mark.parametrize("returncode", [0, 1])
def test_a_failure_carries_the_exit_code_stripes_facts_the_tail_and_a_fix(returncode: int) -> None:
    transcript = request_failed(
        500,
        {
            "message": "An unexpected error occurred.",
            "type": "api_error",
            "code": "processing_error",
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_Broken123",
        },
    )
    outcome = read_transcript(SUBJECT, "1.0.0", transcript, returncode)
    assert isinstance(outcome, StripeAppsError)
    assert (outcome.code, outcome.http_status, outcome.request_id) == ("processing_error", 500, "req_Broken123")
    text = str(outcome)
    assert text.startswith(f"uploading {SUBJECT} failed: `stripe apps upload` exited with {returncode}: ")
    assert "An unexpected error occurred." in text
    assert "\u00d7 Failed to register Billing helper" in text  # the transcript's last lines
    assert "[HTTP 500, code processing_error, request req_Broken123]" in text
    assert text.endswith("\nFix: run `stripe apps upload` in the app directory by hand to see the failure")


def test_a_crash_without_stripes_error_names_the_exit_code_and_the_tail() -> None:
    transcript = f"{PROMPT}{BUILT}[ERROR] plugin.child.apps: plugin process exited: exit status 2\n"
    outcome = read_transcript(SUBJECT, "1.0.0", transcript, 2)
    assert isinstance(outcome, StripeAppsError)
    assert outcome.code is None and outcome.http_status is None
    assert "exited with 2: " in str(outcome) and "plugin process exited: exit status 2" in str(outcome)
    silent = read_transcript(SUBJECT, "1.0.0", "", 1)
    assert isinstance(silent, StripeAppsError) and "exited with 1: no output" in str(silent)


def test_success_needs_exit_zero_and_the_success_line() -> None:
    url = "🌐 Next step, continue on https://dashboard.stripe.com/test/apps/com.example.billing\n"
    uploaded = f"{PROMPT}{BUILT}✔ Uploaded Billing helper\n{url}"
    assert read_transcript(SUBJECT, "1.0.0", uploaded, 0) == "uploaded"
    other_version = "App uploaded successfully: com.example.billing v1.0.0 to acct_1 https://dashboard.stripe.com\n"
    assert read_transcript(SUBJECT, "1.0.0", other_version, 0) == "uploaded"
    crashed_after = read_transcript(SUBJECT, "1.0.0", uploaded, 1)
    assert isinstance(crashed_after, StripeAppsError) and "exited with 1" in str(crashed_after)
    silent = read_transcript(SUBJECT, "1.0.0", f"{PROMPT}{BUILT}", 0)
    assert isinstance(silent, StripeAppsError) and "did not report an upload" in str(silent)
    huge = read_transcript(SUBJECT, "1.0.0", request_failed(500, {"message": "x" * 5000, "type": "api_error"}), 0)
    assert isinstance(huge, StripeAppsError) and len(str(huge)) < 5000 + 2000  # each tail line is cut


MANIFEST_ID = "com.acme.app_billing01"
URL_LINE = f"🌐 Next step, continue on https://dashboard.stripe.com/test/apps/{MANIFEST_ID}\n"


def test_the_app_id_is_never_scraped_from_a_url_or_another_word() -> None:
    transcripts = [
        f"✔ Uploaded Billing helper\n{URL_LINE}",
        f"App uploaded successfully: {MANIFEST_ID} v1.0.0 to acct_1 https://dashboard.stripe.com/test/apps/{MANIFEST_ID}",
        "App uploaded successfully: com.example.billing v1.0.0 to acct_1 (app_Printed12345)\n",
        "see https://dashboard.stripe.com/test/apps/app_InUrl123456 for details\n",
        "App ID: app_Trailing1234 (copy it into your config)\n",
        "Myapp id: app_Glued12345678\n",
        f"App ID: {MANIFEST_ID}\n",
    ]
    for transcript in transcripts:
        assert app_object_id(SUBJECT, MANIFEST_ID, transcript, None) == ""
        assert app_object_id(SUBJECT, MANIFEST_ID, transcript, "app_Configured123") == "app_Configured123"


def test_a_manifest_id_shaped_like_an_app_object_is_not_one() -> None:
    assert app_object_id(SUBJECT, "app_billing01", "App ID: app_billing01\n", None) == ""


@pytest.mark.parametrize("label", ["App ID: ", "app object: ", "✔ App object ID = ", "Application ID:  "])
def test_a_labelled_statement_of_the_cli_gives_the_app_id(label: str) -> None:
    transcript = f"✔ Uploaded Billing helper\n{label}app_Stated123456\n{URL_LINE}"
    assert app_object_id(SUBJECT, MANIFEST_ID, transcript, None) == "app_Stated123456"
    assert app_object_id(SUBJECT, MANIFEST_ID, transcript, "app_Stated123456") == "app_Stated123456"


def test_a_statement_that_disagrees_with_app_ids_fails_naming_both() -> None:
    with pytest.raises(StripeAppsError) as disagreed:
        app_object_id(SUBJECT, MANIFEST_ID, "App ID: app_Stated123456\n", "app_Configured123")
    text = str(disagreed.value)
    assert "app_Stated123456" in text and "app_Configured123" in text and MANIFEST_ID in text
    assert "stripe-apps:appIds" in text
    with pytest.raises(StripeAppsError) as two:
        app_object_id(SUBJECT, MANIFEST_ID, "App ID: app_First1234567\nApp object: app_Second123456\n", None)
    assert "app_First1234567 and app_Second123456" in str(two.value)


# A scripted `stripe`: each run prints the next transcript of `runs.json` and exits with its code.
SCRIPTED_CLI = textwrap.dedent(
    """\
    #!{python}
    import json, pathlib, sys
    here = pathlib.Path(__file__).parent
    count = here / "count"
    run = int(count.read_text()) if count.exists() else 0
    count.write_text(str(run + 1))
    script = json.loads((here / "runs.json").read_text())[run]
    sys.stdin.readline()
    sys.stdout.write(script["output"])
    sys.exit(script["exit"])
    """
)


def scripted_uploader(tmp_path: Path, runs: list[tuple[str, int]], app_ids: dict[str, str]) -> CliUploader:
    cli = tmp_path / "cli" / "stripe"
    cli.parent.mkdir()
    cli.write_text(SCRIPTED_CLI.format(python=sys.executable))
    cli.chmod(0o755)
    (cli.parent / "runs.json").write_text(json.dumps([{"output": out, "exit": code} for out, code in runs]))
    return CliUploader(Settings(keys={"test": KEY}, stripe_cli=str(cli), app_ids=app_ids))


def upload_with(uploader: CliUploader, app_dir: Path) -> uploads.Upload:
    return uploader.upload(app_dir, app_dir, [], "sha256:declared")


@pytest.mark.parametrize("returncode", [0, 1])
@pytest.mark.parametrize("wording", ["stripe-error", "plain"])
def test_the_uploader_adopts_a_refused_existing_version_with_either_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], returncode: int, wording: str
) -> None:
    app_dir = write_app(tmp_path / "app", app_id=MANIFEST_ID)
    refusal = EXISTS[wording].replace("com.example.billing", MANIFEST_ID)
    uploader = scripted_uploader(tmp_path, [(refusal, returncode)], {MANIFEST_ID: "app_Configured123"})
    adopted = upload_with(uploader, app_dir)
    assert (adopted.id, adopted.app, adopted.version) == (f"cli:{MANIFEST_ID}@1.0.0", "app_Configured123", "1.0.0")
    assert adopted.fingerprint == "sha256:declared"
    assert "was already uploaded" in capsys.readouterr().err  # Stripe shows no content to compare


def test_the_uploader_backs_off_a_rate_limited_upload_whatever_the_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backoffs: list[int] = []

    def no_wait(attempt: int, _rng: object) -> float:
        backoffs.append(attempt)
        return 0.0

    monkeypatch.setattr(uploads, "backoff", no_wait)  # the backoffs are counted, not waited
    limited = request_failed(
        429, {"code": "rate_limit", "message": "Too many requests.", "type": "invalid_request_error"}
    )
    app_dir = write_app(tmp_path / "app")
    uploaded = f"{PROMPT}{BUILT}✔ Uploaded Billing helper\n{URL_LINE}"
    uploader = scripted_uploader(tmp_path, [(limited, 1), (limited, 0), (uploaded, 0)], {})
    done = upload_with(uploader, app_dir)
    assert done.status == "uploaded" and done.app == ""
    assert backoffs == [1, 2]


def test_the_uploader_raises_a_failure_with_the_key_redacted(tmp_path: Path) -> None:
    failed = f"{PROMPT}{BUILT}[ERROR] plugin.child.apps: key {KEY} refused: exit status 2\n"
    uploader = scripted_uploader(tmp_path, [(failed, 2)], {})
    with pytest.raises(StripeAppsError) as raised:
        upload_with(uploader, write_app(tmp_path / "app"))
    assert "exited with 2" in str(raised.value)
    assert KEY not in str(raised.value) and "sk_test_***" in str(raised.value)
