"""Errors the provider shows users: what failed, Stripe's code and Request-Id, and what to do."""

from __future__ import annotations


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
        super().__init__(self._render())

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
