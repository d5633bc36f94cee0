"""Stripe wire errors: one exception class per error and the single envelope builder."""

from __future__ import annotations

from typing import Any, ClassVar

DOC_URL = "https://docs.stripe.com/error-codes/"


def stripe_error(
    *,
    type_: str,
    message: str,
    code: str | None = None,
    param: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Build Stripe's error envelope; every error the emulator sends goes through here."""
    return {
        "error": {
            "type": type_,
            "code": code,
            "message": message,
            "param": param,
            "doc_url": DOC_URL + code if code else None,
            "request_log_url": (f"https://dashboard.stripe.com/test/logs/{request_id}" if request_id else None),
        }
    }


class StripeError(Exception):
    """Base of every wire error: HTTP status, type, code, param and extra headers."""

    status: ClassVar[int] = 400
    type_: ClassVar[str] = "invalid_request_error"
    code: ClassVar[str | None] = None
    # Whether an idempotent result is stored for this error (Stripe keeps 5xx, not validation 4xx).
    saved: ClassVar[bool] = False

    def __init__(self, message: str, param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = headers or {}

    def envelope(self, request_id: str | None) -> dict[str, Any]:
        return stripe_error(
            type_=self.type_, message=self.message, code=self.code, param=self.param, request_id=request_id
        )


class InvalidRequestError(StripeError):
    """A 400 without a specific code."""


class ParameterUnknownError(StripeError):
    code = "parameter_unknown"


class ParameterMissingError(StripeError):
    code = "parameter_missing"


class ParameterInvalidEnumError(StripeError):
    code = "parameter_invalid_enum"


class ParameterInvalidIntegerError(StripeError):
    code = "parameter_invalid_integer"


class ParameterInvalidEmptyError(StripeError):
    code = "parameter_invalid_empty"


class ParametersExclusiveError(StripeError):
    code = "parameters_exclusive"


class ResourceMissingError(StripeError):
    status = 404
    code = "resource_missing"


class UnrecognizedUrlError(StripeError):
    status = 404


class ResourceAlreadyExistsError(StripeError):
    code = "resource_already_exists"


class ManifestInvalidError(StripeError):
    code = "manifest_invalid"


class AppIdTakenError(StripeError):
    code = "app_id_taken"


class DistributionTypeInvalidError(StripeError):
    code = "distribution_type_invalid"


class LiveInstallExistsError(StripeError):
    code = "live_install_exists"


class ChannelInvalidError(StripeError):
    code = "channel_invalid"


class SandboxInstallIncompatibleError(StripeError):
    code = "sandbox_install_incompatible"


class AppVersionMissingError(StripeError):
    code = "app_version_missing"


class LivemodeMismatchError(StripeError):
    code = "livemode_mismatch"


class InstallStateInvalidError(StripeError):
    code = "install_state_invalid"


class SecretLimitExceededError(StripeError):
    code = "secret_limit_exceeded"


class AuthenticationRequiredError(StripeError):
    status = 401
    code = "api_key_invalid"


class ApiKeyExpiredError(StripeError):
    status = 401
    code = "api_key_expired"


class InsufficientPermissionsError(StripeError):
    status = 403
    code = "secret_key_required"


class AccountInvalidError(StripeError):
    status = 403
    code = "account_invalid"


class IdempotencyMismatchError(StripeError):
    type_ = "idempotency_error"
    code = "idempotency_error"


class IdempotencyKeyInUseError(StripeError):
    status = 409
    code = "idempotency_key_in_use"


class IdempotencyKeyInvalidError(StripeError):
    code = "idempotency_key_invalid"


class RateLimitedError(StripeError):
    """A rate-limit 429: no `Stripe-Should-Retry`, so the official SDKs do not retry it (docs: rate-limits)."""

    status = 429
    code = "rate_limit"

    def __init__(self, message: str = "Too many requests hit the API too quickly.") -> None:
        super().__init__(message)


class LockTimeoutError(StripeError):
    """A lock-timeout 429: the only 429 Stripe marks `Stripe-Should-Retry: true` (docs: rate-limits)."""

    status = 429
    code = "lock_timeout"

    def __init__(
        self,
        message: str = "This object cannot be accessed right now because another API request or Stripe process "
        "is currently accessing it. Please retry in a moment.",
    ) -> None:
        super().__init__(message, headers={"Stripe-Should-Retry": "true"})


class ApiError(StripeError):
    status = 500
    type_ = "api_error"
    code = "api_error"
    saved = True
