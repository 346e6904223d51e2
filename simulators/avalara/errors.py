"""AvaTax errors: ``{"error": {code, message, target, details[]}}`` with the real code numbers.

Numbers from Avalara's ErrorCodeId enum (avadev AvaTax-REST-V2 SDKs, ``ErrorCodeId``) and
developer.avalara.com/avatax/errors/<Code>.
"""
from __future__ import annotations

from ..core.errors import SimError

HELP = "http://developer.avalara.com/avatax/errors/"

# code -> (number, http status, faultCode, target)
CODES: dict[str, tuple[int, int, str, str]] = {
    "ServerConfiguration": (1, 500, "Server", "Unknown"),
    "EntityNotFoundError": (4, 404, "Client", "HttpRequest"),
    "ValueRequiredError": (5, 400, "Client", "IncorrectData"),
    "AuthenticationException": (30, 401, "Client", "HttpRequestHeaders"),
    "AuthenticationIncomplete": (34, 401, "Client", "HttpRequestHeaders"),
    "BasicAuthIncorrect": (35, 401, "Client", "HttpRequestHeaders"),
    "OpenClauseException": (46, 400, "Client", "Unknown"),
    "ModelStateInvalid": (70, 400, "Client", "IncorrectData"),
    "JurisdictionNotFoundError": (130, 400, "Client", "IncorrectData"),
    "InvalidEnumValue": (164, 400, "Client", "IncorrectData"),
    "ExpectedConjunctionError": (183, 400, "Client", "Unknown"),
    "GetTaxError": (300, 400, "Client", "IncorrectData"),
    "DocumentCodeConflict": (303, 400, "Client", "IncorrectData"),
    "MissingAddress": (304, 400, "Client", "IncorrectData"),
    "InvalidAddress": (309, 400, "Client", "IncorrectData"),
    "AddressLocationNotFound": (310, 400, "Client", "IncorrectData"),
    "MissingLine": (311, 400, "Client", "IncorrectData"),
    "DocumentNotCommitted": (313, 400, "Client", "IncorrectData"),
    "CannotModifyLockedTransaction": (1100, 400, "Client", "IncorrectData"),
    "TransactionAlreadyExists": (1303, 400, "Client", "IncorrectData"),
    "InvalidDocumentType": (1310, 400, "Client", "IncorrectData"),
    "TransactionIsCommitted": (1313, 400, "Client", "IncorrectData"),
    "InvalidDocumentStatus": (1314, 400, "Client", "IncorrectData"),
    "RequestLimitExceeded": (1715, 429, "Client", "HttpRequest"),
    "ConcurrentRequestLimitExceeded": (1716, 429, "Client", "HttpRequest"),
    # Not in the enum as a business code: what the gateway answers when the service is down.
    "ServiceUnavailable": (1, 503, "Server", "Unknown"),
    "InternalServerError": (1, 500, "Server", "Unknown"),
}


class AvaTaxError(SimError):
    def __init__(self, code: str, message: str, description: str | None = None, refers_to: str | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None):
        number, default_status, fault, target = CODES.get(code, (1, 400, "Client", "Unknown"))
        super().__init__(message, status=status or default_status, code=code, headers=headers)
        self.number, self.fault, self.target = number, fault, target
        self.description = description or message
        self.refers_to = refers_to

    def body(self) -> dict:
        detail = {"code": self.code, "number": self.number, "message": self.message,
                  "description": self.description, "faultCode": self.fault, "helpLink": HELP + self.code,
                  "severity": "Exception" if self.status == 401 else "Error"}
        if self.refers_to:
            detail["refersTo"] = self.refers_to
        return {"error": {"code": self.code, "message": self.message, "target": self.target, "details": [detail]}}


def body_of(exc: SimError) -> dict:
    """AvaTax's error body for any error the pipeline raises."""
    if isinstance(exc, AvaTaxError):
        return exc.body()
    return AvaTaxError("InternalServerError", exc.message, status=exc.status).body()


def not_found(company: str, code: str) -> AvaTaxError:
    return AvaTaxError("EntityNotFoundError", f"Document with ID '{company} - {code}' not found.",
                       f"The Document with ID '{company} - {code}' was not found.", refers_to="code")


# what a fault rule is documented to inject (any other code is accepted too, answered as a 500 unless a status is given)
FAULT_CODES = ("RequestLimitExceeded", "ConcurrentRequestLimitExceeded", "ServiceUnavailable", "InternalServerError")


def fault_error(spec: dict) -> AvaTaxError:
    code = spec.get("code", "InternalServerError")
    message = spec.get("message") or {
        "RequestLimitExceeded": "Your request was throttled: too many requests.",
        "ConcurrentRequestLimitExceeded": "Too many concurrent requests.",
        "ServiceUnavailable": "The service is temporarily unavailable.",
    }.get(code, "An unexpected error occurred.")
    headers = {"Retry-After": str(spec["retry_after"])} if spec.get("retry_after") else None
    return AvaTaxError(code, message, status=spec.get("status"), headers=headers)


def http_error(status: int, problem) -> AvaTaxError:
    """Requests no route takes, in AvaTax's error body. AvaTax runs on ASP.NET Web API; the
    messages are that framework's, wrapped in AvaTax's ``{"error": {code, message, target,
    details}}`` envelope (developer.avalara.com/avatax/errors: EntityNotFoundError for what
    does not exist, ModelStateInvalid for a request it cannot read)."""
    if status == 404:
        return AvaTaxError("EntityNotFoundError", f"No HTTP resource was found that matches the request URI "
                           f"'{problem.path}'.", refers_to="url", status=404)
    if status == 405:
        return AvaTaxError("ModelStateInvalid", f"The requested resource does not support http method "
                           f"'{problem.method}'.", refers_to="method", status=405)
    if status == 415:
        return AvaTaxError("ModelStateInvalid", f"The request entity's media type '{problem.content_type}' is not "
                           "supported for this resource.", refers_to="Content-Type", status=415)
    if status == 413:
        return AvaTaxError("ModelStateInvalid", "The request body is too large.", refers_to="body", status=413)
    if status < 500:
        return AvaTaxError("ModelStateInvalid", "The request body does not represent a valid JSON object.",
                           problem.description or None, refers_to="body", status=status)
    return AvaTaxError("InternalServerError", "An unexpected error occurred.", status=status)
