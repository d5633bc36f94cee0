"""Errors the provider shows users: what failed, Stripe's code and Request-Id, and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_stripe_apps.retry import MAX_RETRIES, RATE_LIMIT_RETRIES


@dataclass(frozen=True)
class Made:
    """What Stripe made before the operation failed: the resource's id and its outputs so far."""

    resource_id: str
    outputs: dict[str, Any]


class StripeAppsError(Exception):
    """A failure of one operation on one Stripe object, with everything needed to act on it."""

    def __init__(
        self,
        action: str,
        subject: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.action = action
        self.subject = subject
        self.detail = message
        self.code = code
        self.param = param
        self.request_id = request_id
        self.http_status = http_status
        self.fix = fix
        # Set when the object exists although its operation failed (a wait ran out, Ctrl-C): the engine records it
        # where the front can say so (the native plugin), so `destroy` removes it and the next `up` resumes it.
        self.made: Made | None = None
        super().__init__(self._render())

    def having_made(self, resource_id: str, outputs: dict[str, Any]) -> StripeAppsError:
        """This error, for an operation that made `resource_id` before it failed."""
        self.made = Made(resource_id, outputs)
        return self

    def with_fix(self, fix: str | None) -> StripeAppsError:
        """This error with `fix` as what to do (known only once the error's code and status are)."""
        self.fix = fix
        self.args = (self._render(),)
        return self

    def _render(self) -> str:
        facts = [
            f"{name} {value}"
            for name, value in (
                ("HTTP", self.http_status),
                ("code", self.code),
                ("param", self.param),
                ("request", self.request_id),
            )
            if value
        ]
        text = f"{self.action} {self.subject} failed: {self.detail}"
        if facts:
            text += f" [{', '.join(facts)}]"
        if self.fix:
            # The last line: Pulumi's dynamic host prints a traceback and then this message, so the
            # fix is the last thing a user reads.
            text += f"\nFix: {self.fix}"
        return text


class PollTimeoutError(StripeAppsError):
    """An asynchronous Stripe transition did not end before our deadline."""


class OperationCancelledError(StripeAppsError):
    """The engine cancelled the operation (Ctrl-C) while it waited for Stripe."""


def default_fix(error: StripeAppsError) -> str | None:
    """What to do about an error no caller knows better about, by its HTTP status."""
    if error.http_status == 401:
        return "the API key was refused (revoked or wrong account): set a valid key in stack config"
    if error.http_status == 403:
        return "give the key the permission the message names (Dashboard > Developers > API keys)"
    if error.http_status is not None and error.http_status >= 500:
        return (
            f"Stripe kept failing after {MAX_RETRIES} retries; the stack's state keeps this resource as it was: run "
            "the command again later (Stripe's status page says whether it is down)"
        )
    if error.http_status == 429:
        return (
            f"Stripe kept rate limiting after {RATE_LIMIT_RETRIES} backoffs; run `pulumi up` again, or lower --parallel"
        )
    return None


# Uploads, Version History and the app object use the test-mode key.
UPLOAD_KEY_FIXES = {
    401: "the API key was refused (revoked or wrong account): set a valid key with "
    "`pulumi config set --secret stripe-apps:testApiKey`",
    403: "the key in stripe-apps:testApiKey may not do this: use a secret key (sk_test_...) for uploads",
}


def upload_key_fix(error: StripeAppsError) -> str | None:
    return UPLOAD_KEY_FIXES.get(error.http_status or 0)
