"""What a provider error looks like to the user under Pulumi's stock dynamic-provider host.

The host (`python -m pulumi.dynamic`) reports every exception with `traceback.format_exc()`. Ours
carry only the host's two frames and the one that re-raises them (`resources/base.py`), no chained
exception, and end with the message and its fix. Anything else is a bug's traceback.
"""

from __future__ import annotations

import re

FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line \d+, in (?P<function>\S+)', re.MULTILINE)
HOST = "pulumi/dynamic/__main__.py"
REPORTER = "pulumi_stripe_apps/resources/base.py"


def stray_tracebacks(text: str) -> list[str]:
    """Tracebacks in engine output that are not our short reports: chained, deep, or not ours."""
    problems = []
    if "During handling of the above exception" in text or "The above exception was the direct cause" in text:
        problems.append("a chained exception")
    for block in text.split("Traceback (most recent call last):")[1:]:
        frames = [(found["path"], found["function"]) for found in FRAME.finditer(block.split("StripeAppsError:")[0])]
        if not frames:
            continue  # the engine's one-line progress rendering of the same error; the full one follows
        ours = "pulumi_stripe_apps.errors.StripeAppsError:" in block
        foreign = [path for path, _ in frames if not path.endswith((HOST, REPORTER))]
        if not ours or foreign or len(frames) > 3:
            problems.append(f"a traceback through {', '.join(path for path, _ in frames) or 'nothing'}")
    return problems


def assert_reported(text: str, *fragments: str) -> None:
    """The error reached the user as our short report, naming every fragment."""
    assert stray_tracebacks(text) == [], text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"
