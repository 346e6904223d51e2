"""HTTP side of the Stripe fake: form parsing, auth, idempotency, Request-Id, JSON rendering.

Business logic lives in ``state/``; the route tables (``routes_*.py``) map Stripe's real paths to
explicitly named operations (the names faults, schemas and the journal use) and thin handlers.
"""
from __future__ import annotations

import base64
import random
import re
from datetime import date
from typing import Any, Callable

from flask import Flask, Response, g, request

from simulators.core.errors import SimError
from simulators.core.lane import Answer, Lane, LaneHooks, LaneRequest
from simulators.core.jsonutil import dumpb

from . import params as P
from .errors import AuthenticationFailed, InvalidRequest, StripeError, UrlNotFound
from .violations import violation_error  # noqa: F401 (the vendor hook)
from .state import StripeState
from .state.base import API_VERSION
from .state.idempotency import fingerprint

Handler = Callable[..., Any]


# ---- request helpers (used by the core pipeline hooks too) ---------------------------------------
def request_params() -> dict[str, Any]:
    if "params" not in g:
        if request.method in ("GET", "DELETE"):
            g.params = P.parse(b"", request.query_string.decode("utf-8"))
        else:
            g.params = P.parse(request.get_data(cache=True), request.query_string.decode("utf-8"))
    return g.params


def render_error(exc: SimError) -> Response:
    """Flask routes (hosted pages, unknown non-/v1 paths): the fast lane's rendering as a Response."""
    status, _, body = lane_error(exc)
    return Response(body, status=status, mimetype="application/json")


def _mask(key: str) -> str:
    parts = key.split("_")
    prefix = "_".join(parts[:2]) + "_" if len(parts) > 2 else ""
    tail = key[-4:] if len(key) > len(prefix) + 4 else ""
    return prefix + "*" * max(0, len(key) - len(prefix) - len(tail)) + tail


def authenticate() -> str:
    """Flask requests (hosted pages are public; kept for any future private Flask route)."""
    key = check_key(request.headers.get("Authorization", ""))
    g.api_key = key
    return key


def check_key(header: str) -> str:
    """Any secret key starting with ``sk_test_`` (the default credentials, README), Bearer or Basic."""
    key = ""
    if header.lower().startswith("bearer "):
        key = header[7:].strip()
    elif header.lower().startswith("basic "):
        try:
            key = base64.b64decode(header[6:].strip()).decode("utf-8").split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key:
        raise AuthenticationFailed(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using "
            "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
            "for details, or we can help at https://support.stripe.com/.",
            headers={"WWW-Authenticate": 'Bearer realm="Stripe"'})
    if not key.startswith("sk_test_") or len(key) <= len("sk_test_"):
        raise AuthenticationFailed(f"Invalid API Key provided: {_mask(key)}",
                                   headers={"WWW-Authenticate": 'Bearer realm="Stripe"'})
    return key


_VERSION = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(\.[a-z]+)?$")
FIRST_VERSION = "2011-01-01"   # the oldest dated API version (docs.stripe.com/upgrades#api-versions)


def check_version(header: str | None) -> None:
    """``Stripe-Version``: a dated version up to the one this fake speaks (what the pinned SDK sends);
    anything else is Stripe's 400 (docs.stripe.com/api/versioning)."""
    if header is None:
        return
    m = _VERSION.match(header.strip())
    if m and FIRST_VERSION <= header[:10] <= API_VERSION[:10]:
        try:
            date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return
        except ValueError:
            pass
    raise InvalidRequest(f"Invalid Stripe API version: {header}. Check that the value of your Stripe-Version "
                         "header is a valid API version (for example 2024-06-20); see "
                         "https://stripe.com/docs/upgrades#api-versions.")


# ---- the API routes: served by the core fast lane (simulators/core/lane.py) ----------------------
JSON = ("Content-Type", "application/json")


def lane_error(exc: SimError) -> Answer:
    body = exc.body() if isinstance(exc, StripeError) else {"error": {"message": exc.message, "type": "api_error"}}
    return exc.status, [JSON, *exc.headers.items()], dumpb(body)


def lane_params(req: LaneRequest) -> dict[str, Any]:
    params = req.cache.get("params")
    if params is None:
        body = b"" if req.method in ("GET", "DELETE") else req.body()
        params = req.cache["params"] = P.parse(body, req.query_string)
    return params


def run_api(state: StripeState, req: LaneRequest, handler: Handler) -> Answer:
    """Idempotency, the state lock and error rendering around one handler call."""
    params = lane_params(req)
    key = req.header("Idempotency-Key") if req.method == "POST" else None
    scope = req.cache.get("api_key", "")
    request_id = req.cache["request_id"]
    events = state.events
    if key:
        saved = state.idempotency.begin(scope, key, fingerprint(req.method, req.path, params))
        if saved is not None:
            headers = [JSON, *saved["headers"].items(), ("Idempotent-Replayed", "true"),
                       ("Original-Request", saved["headers"].get("Request-Id", ""))]
            return saved["status"], headers, saved["body"].encode("utf-8")
    try:
        with state.lock:
            events.hold()   # the operation's events wait for the request that caused them
            try:
                status, headers, body = 200, [JSON], dumpb(handler(state, params, **req.url_args))
            finally:
                events.publish(request_id, key)
    except SimError as exc:
        status, headers, body = lane_error(exc)
    except Exception:
        if key:
            state.idempotency.abort(scope, key)
        raise
    if key:
        headers.append(("Idempotency-Key", key))
        saved_headers = {"Request-Id": request_id, **{k: v for k, v in headers if k.startswith("Stripe-Should")}}
        state.idempotency.finish(scope, key, status, body, saved_headers)
    return status, headers, body


def register(app: Flask, state: StripeState, table: list[tuple[str, str, str, Handler]]) -> None:
    lane: Lane = app.extensions["lane"]
    for method, rule, endpoint, handler in table:
        lane.add(method, rule, endpoint, handler)


def install_http(app: Flask, sim, state: StripeState) -> None:
    """The fast lane for ``/v1/`` (Request-Id / Stripe-Version headers, Stripe-shaped 404s) and the
    same headers on the Flask routes (hosted pages); runs before the core pipeline."""
    rng = {"r": random.Random(f"stripe-requests:{sim.seed}")}
    sim.on_reset(lambda: rng.update(r=random.Random(f"stripe-requests:{sim.seed}")))

    def new_request_id(env: dict[str, Any]) -> str:
        return "req_" + _b62(rng["r"].getrandbits(83))

    def begin(req: LaneRequest) -> None:
        req.cache["request_id"] = new_request_id(req.environ)

    def lane_auth(req: LaneRequest) -> str:
        key = req.cache["api_key"] = check_key(req.header("Authorization") or "")
        check_version(req.header("Stripe-Version"))
        return key

    def finish(req: LaneRequest, headers: list[tuple[str, str]]) -> None:
        if not any(k == "Request-Id" for k, _ in headers):
            headers.append(("Request-Id", req.cache["request_id"]))
        headers.append(("Stripe-Version", req.header("Stripe-Version") or state.events.account_version()))
        headers.append(("Access-Control-Allow-Origin", "*"))

    hooks = LaneHooks(begin=begin, authenticate=lane_auth, params=lane_params,
                      dispatch=lambda req, handler: run_api(state, req, handler), render_error=lane_error,
                      not_found=lambda req: UrlNotFound(req.method, req.path), finish=finish)
    lane = Lane(sim, hooks, app.wsgi_app, prefix="/v1/")
    app.wsgi_app = lane
    app.extensions["lane"] = lane

    @app.before_request
    def _request_id():
        g.request_id = new_request_id(request.environ)

    @app.after_request
    def _headers(resp: Response):
        if not request.path.startswith("/_sim"):
            resp.headers.setdefault("Request-Id", getattr(g, "request_id", ""))
            resp.headers["Stripe-Version"] = request.headers.get("Stripe-Version") or state.events.account_version()
            resp.headers.setdefault("Access-Control-Allow-Origin", "*")
        return resp



_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b62(n: int, width: int = 14) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(out)


def expand(params: dict[str, Any]) -> list[str]:
    return P.expand_list(params)
