"""AvaTax REST v2 served by the core fast lane (``core/lane.py``): request parsing, auth, the route
tables of ``routes_*.py`` (operation name -> handler; the names faults, schemas and the journal use)
and AvaTax-shaped answers, with no web framework. Paths and parameters as the official SDK (avalara
26.x ``client_methods.py``) sends them.

Inline or worker: reads and estimates never take a state lock, so the live server runs them on its
event loop; requests that change state take the store's lock and run in a worker thread."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl

import orjson

from ..core.errors import SimError
from ..core.ids import uuid4_of
from ..core.jsonutil import BadJson, loads
from ..core.lane import Answer, Lane, LaneHooks, LaneRequest
from ..core.sim import HttpProblem, Sim
from . import errors
from .errors import AvaTaxError
from .state import AvaTaxState
from .values import lower_keys
from .wire import Encoded, encode

API = "/api/v2"
JSON = ("Content-Type", "application/json; charset=utf-8")
# AvaTax's URL escapes for characters a transaction code may hold (SDK docs on transaction codes).
CODE_ESCAPES = {"_-ava2f-_": "/", "_-ava2b-_": "+", "_-ava3f-_": "?", "_-ava25-_": "%", "_-ava23-_": "#",
                "_-ava5c-_": "\\", "_-ava2e-_": "."}


def decode_code(code: str) -> str:
    if "_-ava" not in code:
        return code
    for esc, ch in CODE_ESCAPES.items():
        code = code.replace(esc, ch)
    return code


@dataclass
class Route:
    method: str
    rule: str
    operation: str
    handler: Callable[..., Any]
    status: int = 200
    inline: bool | Callable[[dict[str, Any]], bool] = False


@dataclass
class Call:
    """What a handler reads: the body (keys lower-cased), the body as sent, the query (keys lower-cased)."""

    body: Any
    raw: str
    args: dict[str, str]
    who: dict[str, Any] | None
    authorization: str = ""

    def arg(self, name: str) -> str | None:
        return self.args.get(name.lower())


# a run of 19 digits: a number orjson might read as a float (it keeps integers of 64 bits only)
LONG_NUMBER = re.compile(rb"[0-9]{19}")


def decode_json(raw: bytes) -> Any:
    """The body's JSON: orjson when it reads it as ``json`` would, else ``jsonutil.loads`` (which
    also words the error: a byte order mark, NaN, lone surrogates, huge integers and malformed
    bodies take that path)."""
    if not LONG_NUMBER.search(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return loads(raw)


def parse_body(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        data = decode_json(raw)
        if not isinstance(data, (dict, list)):
            raise AvaTaxError("ModelStateInvalid", "The request body must be a JSON object.", refers_to="body")
        return lower_keys(data)   # and at most jsonutil.MAX_DEPTH levels deep
    except BadJson as exc:
        raise AvaTaxError("ModelStateInvalid", "The request body does not represent a valid JSON object.",
                          str(exc), refers_to="body")


BODY_KEY = "o2c.avalara.body"


def lane_params(req: LaneRequest) -> Any:
    if BODY_KEY not in req.environ:
        req.environ[BODY_KEY] = parse_body(req.body()) if req.method in ("POST", "PUT", "PATCH") else {}
    return req.environ[BODY_KEY]


def estimate_inline(environ: dict[str, Any]) -> bool:
    """``transactions/create``: an estimate (never stored, no lock) may run on the event loop."""
    from .state.calculate import ESTIMATES
    stream = environ.get("wsgi.input")
    try:
        raw = stream.getvalue() if hasattr(stream, "getvalue") else None
        if raw is None:
            return False
        environ[BODY_KEY] = body = parse_body(raw)
    except AvaTaxError:
        return False
    return isinstance(body, dict) and (body.get("type") or "SalesOrder") in ESTIMATES


def correlation_id(n: int) -> str:
    return uuid4_of(n)


def render_error(exc: SimError) -> Answer:
    return exc.status, [JSON, *exc.headers.items()], encode(errors.body_of(exc))


def install(sim: Sim, state: AvaTaxState, tables: list[list[Route]]) -> Lane:
    """The lane owns every path: ``/api/v2/...`` by its route tables, anything else AvaTax's 404."""
    correlation = itertools.count(1)

    def begin(req: LaneRequest) -> None:
        req.cache["who"] = None

    def authenticate(req: LaneRequest) -> str:
        who = req.cache["who"] = state.accounts.credentials(req.header("Authorization") or "")
        return who["caller"]

    def dispatch(req: LaneRequest, route: Route) -> Answer:
        body = lane_params(req)
        query = req.query_string
        args = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)} if query else {}
        raw = req.body().decode("utf-8", "replace") if req.method == "POST" else ""
        url_args = {k: decode_code(v) for k, v in req.url_args.items()}
        payload = route.handler(state, Call(body, raw, args, req.cache.get("who"), req.header("Authorization") or ""), **url_args)
        return route.status, [JSON], payload if isinstance(payload, Encoded) else encode(payload)

    def not_found(req: LaneRequest) -> SimError:
        served = lane.allowed(req.path)
        others = [m for m in ("GET", "POST", "PUT", "DELETE", "PATCH") if m != req.method and m in served]
        problem = HttpProblem(req.method, req.path, allowed=tuple(others))
        return errors.http_error(405 if others else 404, problem)

    def finish(req: LaneRequest, headers: list[tuple[str, str]]) -> None:
        # The official SDK's logging decorator reads this header on every response and fails
        # without it (avalara/ava_logger.py).
        headers.append(("X-Correlation-Id", correlation_id(next(correlation))))

    hooks = LaneHooks(begin=begin, authenticate=authenticate, params=lane_params,
                      dispatch=lambda req, route: dispatch(req, route), render_error=render_error,
                      not_found=not_found, finish=finish)
    lane = Lane(sim, hooks, None, prefix="/")
    for table in tables:
        for r in table:
            lane.add(r.method, API + r.rule, r.operation, r, inline=r.inline)
    return lane
