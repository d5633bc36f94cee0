"""Stripe wire errors: one exception class per error and the single envelope builder."""

from __future__ import annotations

from typing import Any, ClassVar

DOC_URL = "https://stripe.com/docs/error-codes/"


def doc_url(code: str) -> str:
    """Stripe's page for an error code: the code with underscores turned to hyphens."""
    return DOC_URL + code.replace("_", "-")


def stripe_error(
    *,
    type_: str,
    message: str,
    code: str | None = None,
    param: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Build Stripe's error envelope; every error the emulator sends goes through here.

    Keys that do not apply are omitted, as in Stripe's responses: `code` and `doc_url` only with a
    code, `param` only with a param. `request_log_url` is on every error that has a Request-Id.
    """
    error: dict[str, Any] = {"message": message, "type": type_}
    if code:
        error["code"] = code
        error["doc_url"] = doc_url(code)
    if param:
        error["param"] = param
    if request_id:
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
    return {"error": dict(sorted(error.items()))}


class StripeError(Exception):
    """Base of every wire error: HTTP status, type, code, param and extra headers."""

    status: ClassVar[int] = 400
    type_: ClassVar[str] = "invalid_request_error"
    code: ClassVar[str | None] = None
    # Whether an idempotent result is stored when a handler raises this error: Stripe saves results
    # once the endpoint started executing (4xx included), not when the parameters failed validation
    # or the key may not use the endpoint. Errors raised before a handler runs are never saved.
    saved: ClassVar[bool] = True

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


class InvalidParameterError(StripeError):
    """A parameter failed validation (type, length, expand path, scope shape): a 400 without a code."""

    saved = False


class ParameterUnknownError(StripeError):
    code = "parameter_unknown"
    saved = False


class ParameterMissingError(StripeError):
    code = "parameter_missing"
    saved = False


class ParameterInvalidEnumError(StripeError):
    code = "parameter_invalid_enum"
    saved = False


class ParameterInvalidIntegerError(StripeError):
    code = "parameter_invalid_integer"
    saved = False


class ParameterInvalidEmptyError(StripeError):
    code = "parameter_invalid_empty"
    saved = False


class ParametersExclusiveError(StripeError):
    code = "parameters_exclusive"
    saved = False


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
    """A missing or unknown key: Stripe's 401 carries no code."""

    status = 401


class ApiKeyExpiredError(StripeError):
    """A revoked (expired) key: a 401 without a code, like the other 401s."""

    status = 401


class InsufficientPermissionsError(StripeError):
    """A restricted key without the endpoint's permission: Stripe's 403 names it and carries no code."""

    status = 403
    saved = False


class SecretKeyRequiredError(StripeError):
    """Emulator-only routes (uploads, review) that take a secret key, not a restricted one."""

    status = 403
    code = "secret_key_required"
    saved = False


class AccountInvalidError(StripeError):
    status = 403
    code = "account_invalid"


class IdempotencyMismatchError(StripeError):
    """The same key with other parameters: type `idempotency_error`, no code."""

    type_ = "idempotency_error"
    saved = False


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
    """A 500: type `api_error`, no code; saved and replayed like any result of an executed request."""

    status = 500
    type_ = "api_error"
