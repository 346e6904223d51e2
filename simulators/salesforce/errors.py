"""Salesforce's error shapes.

REST errors are a JSON *array* ``[{"message", "errorCode", "fields"}]`` (developer.salesforce.com
api_rest/errorcodes.htm). Per-record results inside SaveResult arrays (create, sObject
collections, composite) use ``statusCode`` instead: see ``save_error``.
"""
from __future__ import annotations

from typing import Any

from simulators.core.errors import SimError
from simulators.core.jsonutil import dumps


class SalesforceError(SimError):
    status = 400
    code = "UNKNOWN_EXCEPTION"

    def __init__(self, message: str = "", fields: list[str] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.fields = list(fields or [])

    def body(self) -> Any:
        return [{"message": self.message, "errorCode": self.code, "fields": self.fields}]

    def save_error(self) -> dict[str, Any]:
        """The same error as it appears inside a SaveResult (``statusCode``, not ``errorCode``)."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def _cls(name: str, code: str, status: int) -> type[SalesforceError]:
    return type(name, (SalesforceError,), {"code": code, "status": status})


InvalidSessionId = _cls("InvalidSessionId", "INVALID_SESSION_ID", 401)
RequestLimitExceeded = _cls("RequestLimitExceeded", "REQUEST_LIMIT_EXCEEDED", 403)
ApiDisabled = _cls("ApiDisabled", "API_DISABLED_FOR_ORG", 403)
InsufficientAccess = _cls("InsufficientAccess", "INSUFFICIENT_ACCESS_OR_READONLY", 403)
UnableToLockRow = _cls("UnableToLockRow", "UNABLE_TO_LOCK_ROW", 400)
RequiredFieldMissing = _cls("RequiredFieldMissing", "REQUIRED_FIELD_MISSING", 400)
InvalidField = _cls("InvalidField", "INVALID_FIELD", 400)
InvalidFieldForInsertUpdate = _cls("InvalidFieldForInsertUpdate", "INVALID_FIELD_FOR_INSERT_UPDATE", 400)
InvalidType = _cls("InvalidType", "INVALID_TYPE", 400)
NotFound = _cls("NotFound", "NOT_FOUND", 404)
EntityIsDeleted = _cls("EntityIsDeleted", "ENTITY_IS_DELETED", 404)
DuplicateValue = _cls("DuplicateValue", "DUPLICATE_VALUE", 400)
FieldCustomValidation = _cls("FieldCustomValidation", "FIELD_CUSTOM_VALIDATION_EXCEPTION", 400)
FieldIntegrity = _cls("FieldIntegrity", "FIELD_INTEGRITY_EXCEPTION", 400)
RestrictedPicklist = _cls("RestrictedPicklist", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", 400)
InvalidCrossReference = _cls("InvalidCrossReference", "INVALID_CROSS_REFERENCE_KEY", 400)
MalformedId = _cls("MalformedId", "MALFORMED_ID", 400)
MalformedQuery = _cls("MalformedQuery", "MALFORMED_QUERY", 400)
InvalidQueryLocator = _cls("InvalidQueryLocator", "INVALID_QUERY_LOCATOR", 400)
JsonParserError = _cls("JsonParserError", "JSON_PARSER_ERROR", 400)
InvalidFieldValue = _cls("InvalidFieldValue", "INVALID_TYPE_ON_FIELD_IN_RECORD", 400)
StringTooLong = _cls("StringTooLong", "STRING_TOO_LONG", 400)
CannotInsertUpdate = _cls("CannotInsertUpdate", "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", 400)
MethodNotAllowed = _cls("MethodNotAllowed", "METHOD_NOT_ALLOWED", 405)
ServerUnavailable = _cls("ServerUnavailable", "SERVER_UNAVAILABLE", 503)
UnknownException = _cls("UnknownException", "UNKNOWN_EXCEPTION", 500)
ApexError = _cls("ApexError", "APEX_ERROR", 500)
AllOrNoneRolledBack = _cls("AllOrNoneRolledBack", "ALL_OR_NONE_OPERATION_ROLLED_BACK", 400)
ProcessingHalted = _cls("ProcessingHalted", "PROCESSING_HALTED", 400)

BY_CODE: dict[str, type[SalesforceError]] = {
    c.code: c for c in list(globals().values())
    if isinstance(c, type) and issubclass(c, SalesforceError) and c is not SalesforceError
}

# Statuses for codes a fault rule may name that have no class of their own.
FAULT_STATUS = {"INVALID_SESSION_ID": 401, "REQUEST_LIMIT_EXCEEDED": 403, "SERVER_UNAVAILABLE": 503,
                "UNKNOWN_EXCEPTION": 500, "NOT_FOUND": 404}

FAULT_MESSAGES = {
    "INVALID_SESSION_ID": "Session expired or invalid",
    "REQUEST_LIMIT_EXCEEDED": "TotalRequests Limit exceeded.",
    "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record or 1 records",
    "SERVER_UNAVAILABLE": "Server temporarily unavailable",
    "UNKNOWN_EXCEPTION": "An unexpected error occurred. Please include this ErrorId if you contact "
                         "support: 1234567890-12345 (-1234567890)",
}


# what a fault rule is documented to inject: the transient and limit errors an integration must survive
FAULT_CODES = tuple(sorted(set(FAULT_STATUS) | set(FAULT_MESSAGES)))


def from_fault(error: dict[str, Any]) -> SalesforceError:
    """A fault rule's ``error`` (``{"code": "UNABLE_TO_LOCK_ROW", "status": 400, "message": ...}``)."""
    code = str(error.get("code", "UNKNOWN_EXCEPTION")).upper()
    cls = BY_CODE.get(code, SalesforceError)
    status = int(error.get("status") or getattr(cls, "status", 0) or FAULT_STATUS.get(code, 400))
    message = error.get("message") or FAULT_MESSAGES.get(code) or code.replace("_", " ").capitalize()
    return cls(message, status=status, code=code, fields=error.get("fields"))


def render_body(exc: SimError) -> tuple[int, bytes]:
    """The status and JSON body of any error, in the REST API's shape."""
    body = exc.body() if isinstance(exc, SalesforceError) else [
        {"message": exc.message, "errorCode": exc.code, "fields": []}]
    return exc.status, dumps(body).encode("utf-8")


UnsupportedMediaType = _cls("UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE", 415)


def http_error(status: int, problem) -> SalesforceError:
    """Requests no route takes, as the REST API answers them (api_rest/errorcodes.htm lists 404, 405,
    415 and 500 with the ``[{"message", "errorCode"}]`` body): 404 ``NOT_FOUND`` "The requested
    resource does not exist", 405 ``METHOD_NOT_ALLOWED`` naming the allowed methods, 415
    ``UNSUPPORTED_MEDIA_TYPE``, a malformed body ``JSON_PARSER_ERROR``, a fault of the fake
    ``UNKNOWN_EXCEPTION`` (500)."""
    if status == 404:
        return NotFound("The requested resource does not exist")
    if status == 405:
        allowed = ",".join(problem.allowed)
        return MethodNotAllowed(f"HTTP Method '{problem.method}' not allowed. Allowed are {allowed}")
    if status == 415:
        return UnsupportedMediaType(f"MediaType of '{problem.content_type}' is not supported by this resource")
    if status == 413:
        return SalesforceError("Request entity too large", status=413, code="REQUEST_ENTITY_TOO_LARGE")
    if status < 500:
        return JsonParserError(problem.description or "The request body could not be parsed")
    return UnknownException(FAULT_MESSAGES["UNKNOWN_EXCEPTION"], status=status)
