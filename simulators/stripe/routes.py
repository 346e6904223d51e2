"""HTTP side of the Stripe fake: form parsing, auth, idempotency, Request-Id, JSON rendering.

Business logic lives in ``state/``; the route tables (``routes_*.py``) map Stripe's real paths to
explicitly named operations (the names faults, schemas and the journal use) and thin handlers.
"""
from __future__ import annotations

import base64
import random
from typing import Any, Callable

from flask import Flask, Response, g, request

from simulators.core.errors import SimError
from simulators.core.jsonutil import dumps
from simulators.core.validation import Violation

from . import params as P
from .errors import AuthenticationFailed, InvalidRequest, ParameterMissing, ParameterUnknown, StripeError, UrlNotFound
from .state import StripeState
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
    body = exc.body() if isinstance(exc, StripeError) else {"error": {"message": exc.message, "type": "api_error"}}
    return Response(dumps(body), status=exc.status, mimetype="application/json")


def _mask(key: str) -> str:
    parts = key.split("_")
    prefix = "_".join(parts[:2]) + "_" if len(parts) > 2 else ""
    tail = key[-4:] if len(key) > len(prefix) + 4 else ""
    return prefix + "*" * max(0, len(key) - len(prefix) - len(tail)) + tail


def authenticate() -> str:
    """Any secret key starting with ``sk_test_`` (DESIGN.md default credentials), Bearer or Basic."""
    header = request.headers.get("Authorization", "")
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
    g.api_key = key
    return key


def violation_error(v: Violation) -> StripeError:
    err = v.errors[0] if v.errors else {"message": "invalid", "path": None, "keyword": ""}
    path = [p for p in (err.get("path") or "").split("/") if p]
    label = path[0] + "".join(f"[{p}]" for p in path[1:]) if path else ""
    msg = err["message"]
    if err["keyword"] == "additionalProperties" and "'" in msg:
        name = msg.split("'")[1]
        return ParameterUnknown(f"{label}[{name}]" if label else name)
    if err["keyword"] == "required" and "'" in msg:
        name = msg.split("'")[1]
        return ParameterMissing(f"{label}[{name}]" if label else name)
    if err["keyword"] == "pattern":
        return InvalidRequest(f"Invalid integer: {msg.split(' does not match')[0].strip(chr(39))}", param=label,
                              code="parameter_invalid_integer")
    if err["keyword"] == "enum":
        return InvalidRequest(f"Invalid {label}: {msg}", param=label)
    return InvalidRequest(f"Invalid request ({label or 'body'}): {msg}", param=label or None)


# ---- the wrapper around every API view ----------------------------------------------------------
def api_view(state: StripeState, handler: Handler) -> Callable[..., Response]:
    def view(**url_args: Any) -> Response:
        params = request_params()
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        scope = getattr(g, "api_key", "")
        if key:
            saved = state.idem_begin(scope, key, fingerprint(request.method, request.path, params))
            if saved is not None:
                resp = Response(saved["body"], status=saved["status"], mimetype="application/json")
                for k, v in saved["headers"].items():
                    resp.headers[k] = v
                resp.headers["Idempotent-Replayed"] = "true"
                resp.headers["Original-Request"] = saved["headers"].get("Request-Id", "")
                return resp
        try:
            with state.lock:
                state._request_ctx = {"id": g.request_id, "idempotency_key": key}
                try:
                    result = handler(state, params, **url_args)
                    if isinstance(result, Response):
                        resp = result
                    else:
                        resp = Response(dumps(result), status=200, mimetype="application/json")
                finally:
                    state._request_ctx = None
        except SimError as exc:
            resp = render_error(exc)
            for k, v in exc.headers.items():
                resp.headers[k] = v
        except Exception:
            if key:
                state.idem_abort(scope, key)
            raise
        if key:
            resp.headers["Idempotency-Key"] = key
            state.idem_finish(scope, key, resp.status_code, resp.get_data(),
                              {"Request-Id": g.request_id, **{k: v for k, v in resp.headers.items()
                                                               if k.startswith("Stripe-Should")}})
        return resp

    return view


def register(app: Flask, state: StripeState, table: list[tuple[str, str, str, Handler]]) -> None:
    for method, rule, endpoint, handler in table:
        app.add_url_rule(rule, endpoint=endpoint, view_func=api_view(state, handler), methods=[method])


def install_http(app: Flask, sim, state: StripeState) -> None:
    """Request-Id / Stripe-Version headers, Stripe-shaped 404s; runs before the core pipeline."""
    rng = {"r": random.Random(f"stripe-requests:{sim.seed}")}
    sim.on_reset(lambda: rng.update(r=random.Random(f"stripe-requests:{sim.seed}")))
    fixed_base = state.options.get("public_base")

    @app.before_request
    def _request_id():
        g.request_id = "req_" + _b62(rng["r"].getrandbits(83))
        env = request.environ
        state.public_base = fixed_base or f"{env.get('wsgi.url_scheme', 'http')}://{env.get('HTTP_HOST', 'api.stripe.com')}"

    @app.after_request
    def _headers(resp: Response):
        if not request.path.startswith("/_sim"):
            resp.headers.setdefault("Request-Id", getattr(g, "request_id", ""))
            resp.headers["Stripe-Version"] = request.headers.get("Stripe-Version") or state.account_version()
            resp.headers.setdefault("Access-Control-Allow-Origin", "*")
        return resp

    def _not_found(exc):
        if request.path.startswith("/_sim"):
            return Response(dumps({"error": "not found"}), status=404, mimetype="application/json")
        return render_error(UrlNotFound(request.method, request.path))

    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_found)


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b62(n: int, width: int = 14) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(out)


def expand(params: dict[str, Any]) -> list[str]:
    return P.expand_list(params)
