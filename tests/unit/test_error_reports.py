"""The shape of errors under Pulumi's stock dynamic-provider host: our short report, or a bug's traceback."""

from __future__ import annotations

import traceback

import pytest

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.resources.base import reported
from tests.support.errors import stray_tracebacks


def host_report(fn: object) -> str:
    """What `pulumi.dynamic.__main__` sends the engine: traceback.format_exc() of the call."""
    try:
        fn()  # type: ignore[operator]
    except Exception:
        return traceback.format_exc()
    raise AssertionError("the call did not fail")


def deep_failure() -> None:
    try:
        {}["missing"]
    except KeyError:
        raise StripeAppsError("installing", "install of app_1", "refused", code="x", fix="do this") from None


def test_a_reported_error_shows_the_message_and_the_fix_last_and_nothing_chained() -> None:
    report = host_report(reported(deep_failure))
    assert report.rstrip().splitlines()[-1] == "Fix: do this"
    assert "installing install of app_1 failed: refused [code x]" in report
    assert "deep_failure" not in report and "KeyError" not in report
    # Two frames: the caller (the host, here) and the one that re-raised; none of the failing code's.
    assert report.count('  File "') == 2 and 'resources/base.py", line' in report


@pytest.mark.parametrize(
    "text",
    [
        "Traceback (most recent call last):\n  File \"/x/stripe/_http_client.py\", line 1, in request\nKeyError: 'a'\n",
        "KeyError: 'a'\n\nDuring handling of the above exception, another exception occurred:\n",
    ],
    ids=["a bug's traceback", "a chained exception"],
)
def test_anything_else_is_a_stray_traceback(text: str) -> None:
    assert stray_tracebacks(text) != []
