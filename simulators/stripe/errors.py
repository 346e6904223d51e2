"""Stripe's error shapes (docs.stripe.com/api/errors).

Body: ``{"error": {"type", "code", "decline_code", "message", "param", "charge", "payment_intent",
"doc_url", "request_log_url"}}`` with only the keys that apply. The SDK picks its exception class
by HTTP status (stripe/_api_requestor.py ``specific_v1_api_error``): 402 -> CardError,
429 -> RateLimitError, 400/404 -> InvalidRequestError (IdempotencyError when type is
``idempotency_error``), 401 -> AuthenticationError, 409 -> retried by the SDK.
"""
from __future__ import annotations

from typing import Any, ClassVar

from simulators.core.errors import SimError

DOC = "https://stripe.com/docs/error-codes/"


class StripeError(SimError):
    status: ClassVar[int] = 400
    code: ClassVar[str] = ""
    type: ClassVar[str] = "invalid_request_error"

    def __init__(self, message: str = "", *, param: str | None = None, code: str | None = None,
                 status: int | None = None, type: str | None = None, **extra: Any):
        super().__init__(message, status=status, code=code, headers=extra.pop("headers", None), **extra)
        self.param = param
        if type:
            self.type = type

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = DOC + self.code
        err["message"] = self.message
        if self.param:
            err["param"] = self.param
        for key in ("decline_code", "charge", "payment_intent", "advice_code", "payment_method", "setup_intent"):
            if self.extra.get(key) is not None:
                err[key] = self.extra[key]
        err["request_log_url"] = None
        err["type"] = self.type
        return {"error": {k: v for k, v in err.items() if k != "request_log_url"}}


class InvalidRequest(StripeError):
    status = 400


class ParameterMissing(InvalidRequest):
    code = "parameter_missing"

    def __init__(self, param: str):
        super().__init__(f"Missing required param: {param}.", param=param)


class ParameterUnknown(InvalidRequest):
    code = "parameter_unknown"

    def __init__(self, param: str):
        super().__init__(f"Received unknown parameter: {param}", param=param)


class ParameterInvalid(InvalidRequest):
    code = "parameter_invalid_integer"


class ResourceMissing(StripeError):
    status = 404
    code = "resource_missing"

    def __init__(self, kind: str, ident: str, param: str = "id"):
        super().__init__(f"No such {kind}: '{ident}'", param=param)


class UrlNotFound(StripeError):
    status = 404

    def __init__(self, method: str, path: str):
        super().__init__(f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                         "or we can help at https://support.stripe.com/.")


class InvoiceStateError(InvalidRequest):
    code = "invoice_not_editable"


class AuthenticationFailed(StripeError):
    status = 401


class CardError(StripeError):
    status = 402
    code = "card_declined"
    type = "card_error"


class IdempotencyMismatch(StripeError):
    status = 400
    type = "idempotency_error"


class IdempotencyInProgress(StripeError):
    status = 409
    code = "idempotency_key_in_use"


class RateLimited(StripeError):
    status = 429
    code = "rate_limit"


class ApiError(StripeError):
    status = 500
    type = "api_error"


class LockTimeout(StripeError):
    status = 429
    code = "lock_timeout"


# Fault codes the fault engine can name: {"error": {"code": "rate_limit"}} etc.
FAULTS: dict[str, tuple[type[StripeError], str, dict[str, str]]] = {
    "rate_limit": (RateLimited, "Too many requests hit the API too quickly. We recommend an exponential "
                   "backoff of your requests.", {"Stripe-Should-Retry": "true"}),
    "lock_timeout": (LockTimeout, "This object cannot be accessed right now because another API request "
                     "or Stripe process is currently accessing it.", {"Stripe-Should-Retry": "true"}),
    "api_error": (ApiError, "An unknown error occurred", {"Stripe-Should-Retry": "true"}),
    "service_unavailable": (ApiError, "Stripe is temporarily unavailable.", {"Stripe-Should-Retry": "true"}),
    "idempotency_key_in_use": (IdempotencyInProgress, "There is currently another in-progress request using "
                               "this Stripe token (probably means you clicked twice). Please try again.",
                               {"Stripe-Should-Retry": "true"}),
}


def from_fault(spec: dict[str, Any]) -> StripeError:
    code = spec.get("code", "rate_limit")
    cls, message, headers = FAULTS.get(code, (ApiError, spec.get("message") or "An unknown error occurred",
                                             {}))
    err = cls(spec.get("message") or message, headers=dict(headers))
    if "status" in spec:
        err.status = int(spec["status"])
    if code == "service_unavailable" and "status" not in spec:
        err.status = 503
    if code not in FAULTS:
        err.code = code
    if spec.get("should_retry") is not None:
        err.headers["Stripe-Should-Retry"] = "true" if spec["should_retry"] else "false"
    return err


def http_error(status: int, problem) -> StripeError:
    """Requests no route takes, in Stripe's shape. Stripe routes by method and path together, so a
    wrong method is the same 404 ``Unrecognized request URL (METHOD: /path)`` as an unknown path;
    an unsupported body type is a 400 naming it (seen in published API answers, e.g.
    github.com/MarcinusX/flutter_stripe_demo/issues/9); a fault of the fake is Stripe's 500 ``api_error``."""
    if status in (404, 405):
        return UrlNotFound(problem.method, problem.path)
    if status == 415:
        return InvalidRequest(f"Invalid request: unsupported Content-Type {problem.content_type}. If error persists "
                              "and you need assistance, please contact support@stripe.com.")
    if status == 413:
        return InvalidRequest("Request entity too large.", status=413)
    if status < 500:
        return InvalidRequest("Invalid request (check that your POST content type is "
                              "application/x-www-form-urlencoded). If you have any questions, we can help at "
                              "https://support.stripe.com/.", status=status)
    return ApiError("An unknown error occurred", status=status)
