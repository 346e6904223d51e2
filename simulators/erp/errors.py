"""NetSuite REST errors: ``{"type","title","status","o:errorDetails":[{"detail","o:errorCode","o:errorPath"}]}``.

Shape and the INVALID_LOGIN / INVALID_CONTENT examples: Oracle's "Error Handling in REST Web Services"
(docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156570709583.html). Current accounts
answer with RFC 9110 section links as ``type`` (seen in published 401 captures); older ones used RFC 2616.
"""
from __future__ import annotations

from ..core.errors import SimError
from ..core.jsonutil import dumps

RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
TYPES = {400: RFC9110 + "15.5.1", 401: RFC9110 + "15.5.2", 403: RFC9110 + "15.5.4", 404: RFC9110 + "15.5.5",
         405: RFC9110 + "15.5.6", 409: RFC9110 + "15.5.10", 413: RFC9110 + "15.5.14", 415: RFC9110 + "15.5.16",
         429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4", 500: RFC9110 + "15.6.1",
         503: RFC9110 + "15.6.4"}
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
          500: "Internal Server Error", 503: "Service Unavailable"}

LOGIN_DETAIL = ("Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
                "Setup > Users/Roles > User Management > View Login Audit Trail.")


class NetSuiteError(SimError):
    """One error detail; ``path`` becomes ``o:errorPath``."""

    status = 400
    code = "USER_ERROR"

    def __init__(self, detail: str, *, path: str | None = None, status: int | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail, status=status, code=code, headers=headers)
        self.path = path

    def body(self) -> dict:
        d = {"detail": self.message, "o:errorCode": self.code}
        if self.path:
            d["o:errorPath"] = self.path
        return {"type": TYPES.get(self.status, RFC9110 + "15.5.1"), "title": TITLES.get(self.status, "Error"),
                "status": self.status, "o:errorDetails": [d]}


class InvalidLogin(NetSuiteError):
    status, code = 401, "INVALID_LOGIN"

    def __init__(self, reason: str = "token_rejected", realm: str = "O2C_SB1"):
        super().__init__(LOGIN_DETAIL, headers={
            "WWW-Authenticate": f'OAuth realm="{realm}", error="{reason}", error_description="Invalid login attempt."'})


class NotFound(NetSuiteError):
    status, code = 404, "NONEXISTENT_ID"

    def __init__(self, detail: str = "The record instance does not exist. Provide a valid record instance ID.",
                 path: str | None = None):
        super().__init__(detail, path=path)


class InvalidContent(NetSuiteError):
    status, code = 400, "INVALID_CONTENT"


class InvalidFieldValue(InvalidContent):
    def __init__(self, value, field: str, path: str | None = None):
        super().__init__(f"Error while accessing a resource. You have entered an Invalid Field Value {value} "
                         f"for the following field: {field}", path=path or field)


class MissingField(NetSuiteError):
    status, code = 400, "USER_ERROR"

    def __init__(self, field: str, path: str | None = None):
        super().__init__(f"Error while accessing a resource. Please enter value(s) for: {field}",
                         path=path or field)


class DuplicateRecord(NetSuiteError):
    """Duplicate externalId (NetSuite keeps external ids unique per record type)."""

    status, code = 400, "DUP_RCRD"

    def __init__(self, record_type: str, external_id: str):
        super().__init__(f"Error while accessing a resource. A {record_type} record with the external ID "
                         f"'{external_id}' already exists. This record already exists.", path="externalId")


class DependentRecords(NetSuiteError):
    status, code = 400, "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS"

    def __init__(self):
        super().__init__("This record cannot be deleted because it has dependent records.")


class UserError(NetSuiteError):
    status, code = 400, "USER_ERROR"


class InvalidQuery(NetSuiteError):
    status, code = 400, "INVALID_PARAMETER"

    def __init__(self, why: str):
        super().__init__("Invalid search query. Detailed unprocessed description follows. "
                         f"Search error occurred: {why}", path="q")


# Fault codes the fault layer can raise: code -> (status, detail)
FAULT_CODES: dict[str, tuple[int, str]] = {
    "CONCURRENCY_LIMIT_EXCEEDED": (429, "Concurrent request limit exceeded. Request blocked."),
    "SSS_REQUEST_LIMIT_EXCEEDED": (400, "Request limit exceeded."),
    "RCRD_HAS_BEEN_CHANGED": (400, "Record has been changed"),
    "UNEXPECTED_ERROR": (500, "An unexpected error occurred. Error ID: o2c-fault"),
    "SESSION_TIMED_OUT": (401, "Your connection has timed out. Please log in again."),
    "INVALID_LOGIN": (401, LOGIN_DETAIL),
    "SERVICE_UNAVAILABLE": (503, "The service is temporarily unavailable."),
    "NONEXISTENT_ID": (404, "The record instance does not exist. Provide a valid record instance ID."),
}


def fault_error(spec: dict) -> SimError:
    code = str(spec.get("code", "UNEXPECTED_ERROR"))
    status, detail = FAULT_CODES.get(code, (int(spec.get("status", 500)), spec.get("message", code)))
    return NetSuiteError(spec.get("message", detail), status=int(spec.get("status", status)), code=code)


def violation_error(v) -> SimError:
    e = v.errors[0] if v.errors else {"message": "invalid", "path": None}
    path = (e.get("path") or "").replace("/", ".") or None
    return InvalidContent(f"Invalid content in the request body: {e['message']}", path=path)


ERROR_TYPE = "application/vnd.oracle.resource+json; type=error; charset=UTF-8"


def render_error(exc: SimError) -> tuple[int, list[tuple[str, str]], bytes]:
    """Any error as NetSuite's answer: (status, headers, body)."""
    body = exc.body() if isinstance(exc, NetSuiteError) else NetSuiteError(exc.message, status=exc.status,
                                                                           code=exc.code).body()
    return exc.status, [("Content-Type", ERROR_TYPE), *exc.headers.items()], dumps(body).encode("utf-8")


def http_error(status: int, problem) -> NetSuiteError:
    """Requests no route takes, in NetSuite's REST error body (the "Error Handling in REST Web
    Services" shape above; ``type`` and ``title`` follow the status)."""
    if status == 404:
        return NetSuiteError(f"Invalid URL: the resource {problem.path} does not exist. Check the record type "
                             "and the URL.", status=404, code="NONEXISTENT_ID")
    if status == 405:
        return NetSuiteError(f"The HTTP method {problem.method} is not allowed for this resource. Allowed: "
                             f"{', '.join(problem.allowed) or 'none'}.", status=405, code="INVALID_REQUEST")
    if status == 415:
        return NetSuiteError(f"Unsupported media type '{problem.content_type}'. Use application/json.",
                             status=415, code="INVALID_CONTENT")
    if status == 413:
        return NetSuiteError("The request body is too large.", status=413, code="INVALID_CONTENT")
    if status < 500:
        return InvalidContent("Invalid content in the request body: the body is not valid JSON. "
                              + (problem.description or ""))
    return NetSuiteError("An unexpected error occurred.", status=status, code="UNEXPECTED_ERROR")
