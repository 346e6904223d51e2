"""What the Salesforce route handlers read from a request and how they answer, on the core lane
(``simulators.core.lane``): query arguments, form and JSON bodies, headers, and the answers
(``(status, headers, body)``). Parsing only; no web framework."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

from simulators.core.jsonutil import BadJson, dumpb, loads
from simulators.core.lane import Answer, LaneRequest

from . import errors as E

JSON = ("Content-Type", "application/json")


def _pairs(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True, errors="replace"):
        out.setdefault(key, value)   # the first value of a repeated key, as werkzeug's MultiDict.get
    return out


def args(req: LaneRequest) -> dict[str, str]:
    """The query string (latin-1 on the WSGI side, UTF-8 on the wire)."""
    parsed = req.cache.get("args")
    if parsed is None:
        raw = req.query_string.encode("latin-1", "replace").decode("utf-8", "replace")
        parsed = req.cache["args"] = _pairs(raw)
    return parsed


def mimetype(req: LaneRequest) -> str:
    return (req.header("Content-Type") or "").split(";", 1)[0].strip().lower()


def form(req: LaneRequest) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (any other body type has no form fields)."""
    if mimetype(req) != "application/x-www-form-urlencoded":
        return {}
    return _pairs(req.body().decode("utf-8", "replace"))


def body_json(req: LaneRequest, require_object: bool = True) -> Any:
    """The JSON body (bounded depth, UTF-8 only: core/jsonutil.py); {} when there is none. Another
    declared media type is the REST API's 415, a malformed body its ``JSON_PARSER_ERROR``."""
    if "json" not in req.cache:
        raw = req.body()
        if not raw:
            req.cache["json"] = None
        else:
            ctype = req.header("Content-Type") or ""
            if ctype and "json" not in mimetype(req):
                raise E.http_error(415, SimpleNamespace(content_type=ctype))
            try:
                req.cache["json"] = loads(raw)
            except BadJson as exc:
                raise E.JsonParserError(f"Unexpected character: was expecting JSON ({exc})")
    data = req.cache["json"]
    if data is None:
        return {} if require_object else None
    if require_object and not isinstance(data, dict):
        raise E.JsonParserError("Cannot deserialize instance of sObject from START_ARRAY value")
    return data


def headers_of(req: LaneRequest) -> dict[str, str]:
    """The request headers as ``{"Content-Type": ..., "X-Custom": ...}``."""
    out = {}
    for key, value in req.environ.items():
        if key.startswith("HTTP_"):
            out[key[5:].replace("_", "-").title()] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            out[key.replace("_", "-").title()] = value
    return out


def host(req: LaneRequest) -> str:
    return req.header("Host") or req.environ.get("SERVER_NAME", "localhost")


def json_answer(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return status, [JSON, *(headers or {}).items()], dumpb(payload)


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Answer:
    return status, list((headers or {}).items()), b""


def raw_answer(body: bytes | str, status: int, content_type: str, headers: dict[str, str] | None = None) -> Answer:
    data = body.encode("utf-8") if isinstance(body, str) else body
    extra = [(k, v) for k, v in (headers or {}).items() if k.lower() != "content-type"]
    return status, [("Content-Type", content_type), *extra], data


def error_answer(exc) -> Answer:
    """A SimError as the REST API's ``[{"message", "errorCode", "fields"}]`` answer."""
    status, body = E.render_body(exc)
    return status, [JSON, *exc.headers.items()], body
