"""The control plane's own dispatcher: ``/_sim/*`` served without a web framework.

Every fake's control endpoints (the common ones in ``control.py`` and the vendor's own, e.g.
``/_sim/stripe/...``) register on ``ControlRoutes`` tables with decorators (``@routes.get("/health")``,
``<name>`` and ``<path:name>`` variables). ``ControlPlane`` sits in front of the vendor's WSGI app:
a path under a control prefix never reaches the vendor's pipeline. It runs the gate (loopback
callers only, the run's token), the body's schema check, the handler, and answers plain JSON;
a vendor error raised by a handler (e.g. Stripe's decline on a simulated hosted payment) is
rendered in the vendor's shape.

Handlers read the request through ``control_request()`` (method, path, ``args``, body bytes).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

from .errors import ControlError, SimError
from .jsonutil import dumps
from .lane import LaneRequest

log = logging.getLogger("simulators")
_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
                402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
                409: "Conflict", 500: "Internal Server Error"}


@dataclass
class Reply:
    """A control answer: JSON ``payload`` with ``status``."""

    payload: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(payload, status, headers or {})


class Args(dict):
    """Query parameters (the first value of each name) with Flask's ``get(name, default, type)``."""

    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:  # noqa: A002
        if key not in self:
            return default
        value = self[key]
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default


class ControlRequest(LaneRequest):
    """A control request: the lane's request (method, path, headers, body) with its query ``args``."""

    __slots__ = ("args", "remote_addr", "parsed")

    def __init__(self, environ: dict[str, Any]):
        super().__init__(environ)
        self.args = Args()
        for k, v in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            self.args.setdefault(k, v)
        self.remote_addr = environ.get("REMOTE_ADDR")
        self.parsed: Any = None   # the body as JSON, once the schema check has read it

    def get_data(self) -> bytes:
        return self.body()


_current = threading.local()


def control_request() -> ControlRequest:
    """The control request being handled on this thread."""
    req = getattr(_current, "request", None)
    if req is None:
        raise RuntimeError("no control request is being handled")
    return req


class ControlRoutes:
    """One table of control endpoints under ``prefix`` (Flask-Blueprint-like decorators)."""

    def __init__(self, prefix: str = "/_sim"):
        self.prefix = prefix.rstrip("/")
        self.rules: list[tuple[str, tuple[str, ...], Callable[..., Reply]]] = []

    def route(self, rule: str, methods: list[str] | tuple[str, ...] = ("GET",)) -> Callable:
        segs = tuple((self.prefix + rule).strip("/").split("/"))

        def deco(fn: Callable[..., Reply]) -> Callable[..., Reply]:
            for m in methods:
                self.rules.append((m.upper(), segs, fn))
            return fn
        return deco

    def get(self, rule: str) -> Callable:
        return self.route(rule, ("GET",))

    def post(self, rule: str) -> Callable:
        return self.route(rule, ("POST",))

    def put(self, rule: str) -> Callable:
        return self.route(rule, ("PUT",))

    def delete(self, rule: str) -> Callable:
        return self.route(rule, ("DELETE",))

    def match(self, segs: list[str]) -> list[tuple[str, Callable[..., Reply], dict[str, str]]]:
        """Every (method, handler, args) whose rule matches the path."""
        found = []
        for method, rule, fn in self.rules:
            args = _match(rule, segs)
            if args is not None:
                found.append((method, fn, args))
        return found


def _match(rule: tuple[str, ...], segs: list[str]) -> dict[str, str] | None:
    args: dict[str, str] = {}
    for i, want in enumerate(rule):
        if want.startswith("<path:"):
            rest = segs[i:]
            if not rest or not all(rest):
                return None
            args[want[6:-1]] = "/".join(rest)
            return args
        if i >= len(segs):
            return None
        got = segs[i]
        if want[:1] == "<":
            if not got:
                return None
            args[want[1:-1]] = got
        elif want != got:
            return None
    return args if len(rule) == len(segs) else None


class ControlPlane:
    """WSGI middleware: control paths answered here, everything else passed to ``app``."""

    def __init__(self, sim: Any, app: Callable, prefixes: tuple[str, ...] | None = None):
        self.sim = sim
        self.app = app
        self.tables: list[ControlRoutes] = sim.control_tables   # the common table and the vendor's own
        self.prefixes = prefixes
        self._heads = tuple(prefixes or ("/_sim",))

    def owns(self, path: str) -> bool:
        if "//" not in path and not path.startswith(self._heads):   # the common case, without the regex
            return False
        from .sim import is_control_path
        return is_control_path(path, self.prefixes or ("/_sim",))

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if not self.owns(path):
            return self.app(environ, start_response)
        status, headers, body = self.answer(ControlRequest(environ))
        if environ["REQUEST_METHOD"] == "HEAD":
            body = b""
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_STATUS_TEXT.get(status, 'Unknown')}", headers)
        return [body]

    def answer(self, req: ControlRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        from .sim import TOKEN_HEADER, control_refusal
        refusal = control_refusal(self.sim, req.remote_addr, req.header(TOKEN_HEADER))
        if refusal:
            return _json({"error": refusal}, 403)
        _current.request = req
        try:
            reply = self._dispatch(req)
            return _json(reply.payload, reply.status, reply.headers)
        except ControlError as exc:
            return _json(exc.body(), exc.status)
        except SimError as exc:   # a vendor error from a handler: the vendor's own shape
            return _vendor(self.sim, exc)
        except Exception as exc:  # a bug: plain JSON 500, the traceback to the log only
            log.error("%s: unexpected error on %s %s", self.sim.name, req.method, req.path, exc_info=exc)
            return _json({"error": "internal error"}, 500)
        finally:
            _current.request = None

    def _dispatch(self, req: ControlRequest) -> Reply:
        from .control import validate_body
        segs = req.path.strip("/").split("/")
        candidates = [c for table in self.tables for c in table.match(segs)]
        method = "GET" if req.method == "HEAD" else req.method
        for m, fn, args in candidates:
            if m == method:
                req.parsed = validate_body(req.method, req.path, req.get_data())
                return fn(**args)
        if candidates:
            allowed = sorted({m for m, _, _ in candidates})
            raise ControlError(f"{req.method} is not allowed on {req.path}; allowed: {', '.join(allowed)}", 405)
        raise ControlError(f"no control endpoint {req.path} (GET /_sim/openapi.json describes them)", 404)


def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    out = [("Content-Type", "application/json")] + list((headers or {}).items())
    return status, out, dumps(payload).encode("utf-8")


def _vendor(sim: Any, exc: SimError) -> tuple[int, list[tuple[str, str]], bytes]:
    resp = sim.vendor.render_error(exc)
    if isinstance(resp, tuple):   # a lane-style answer (status, headers, body)
        status, headers, body = resp
        return status, list(headers), body
    headers = [(k, v) for k, v in resp.headers.items() if k.lower() != "content-length"]
    headers += list(exc.headers.items())
    return resp.status_code, headers, resp.get_data()
