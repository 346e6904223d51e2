"""The fast lane: a vendor's API routes served by a lean WSGI dispatcher in front of its Flask app.

Flask's per-request machinery (contexts, proxies, hooks, response objects) cost more than the
Stripe fake's business logic; the lane runs the same pipeline (``Sim.gate`` -> route ->
``Sim.record``) without it. Every path under ``prefix`` is the lane's, including unknown ones
(the vendor's 404); anything else (hosted pages, ``/_sim``) falls through to the Flask app.
Both transports use it: in-process calls the same WSGI callable, and the live server
(``loopserver``) runs lane requests on its event loop (``inline``) only when they never block: a
fake whose handlers all take a lock (Salesforce's org) says ``run_inline=False``; otherwise a
route added with ``inline=False`` (or a predicate on the environ), or the vendor's
``LaneHooks.inline`` predicate, sends a request to the server's worker threads instead.

A lane owns one prefix or several (a tuple), plus optionally any path ``owns(path)`` accepts. Rules
are ``/``-separated segments: a literal, ``<name>`` (one segment), ``v<name>`` (a literal head and a
variable tail) or, last, ``<path:name>`` (the rest of the path). HEAD takes the GET route (no body).

The vendor supplies ``LaneHooks``: how to start a request (ids), authenticate, read parameters,
dispatch to a handler, render its errors and finish the headers.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable

from .errors import DropConnection, SimError
from .sim import DELAY_HEADER, DROP_HEADER, HttpProblem, Sim, Trace, log

Headers = list[tuple[str, str]]
Answer = tuple[int, Headers, bytes]
_STATUS = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


class LaneRequest:
    """The little a handler needs from a request, read straight from the WSGI environ."""

    __slots__ = ("environ", "method", "path", "endpoint", "url_args", "trace", "cache", "_body")

    def __init__(self, environ: dict[str, Any]):
        self.environ = environ
        self.method = environ["REQUEST_METHOD"]
        # PATH_INFO is bytes-as-latin-1 (PEP 3333); paths and ids are UTF-8 on the wire
        self.path = (environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8", "replace")
        self.endpoint: str | None = None
        self.url_args: dict[str, str] = {}
        self.cache: dict[str, Any] = {}
        self._body: bytes | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return self.environ.get(key, default)
        return self.environ.get("HTTP_" + key, default)

    @property
    def query_string(self) -> str:
        return self.environ.get("QUERY_STRING", "")

    @property
    def full_path(self) -> str:
        qs = self.query_string
        return f"{self.path}?{qs}" if qs else self.path

    def body(self) -> bytes:
        if self._body is None:
            stream = self.environ.get("wsgi.input") or io.BytesIO()
            length = self.environ.get("CONTENT_LENGTH")
            try:
                n = int(length) if length else -1
            except ValueError:
                n = -1
            self._body = stream.read(n) if n >= 0 else stream.read()
        return self._body


@dataclass
class LaneHooks:
    begin: Callable[[LaneRequest], None]
    authenticate: Callable[[LaneRequest], str | None]
    params: Callable[[LaneRequest], Any]
    dispatch: Callable[[LaneRequest, Callable[..., Any]], Answer]
    render_error: Callable[[SimError], Answer]
    not_found: Callable[[LaneRequest], SimError]
    finish: Callable[[LaneRequest, Headers], None]
    # optional: which of the lane's requests the live server may run on its event loop (they must not
    # block or take a lock); None: decided by the route's own ``inline`` flag (default: yes)
    inline: Callable[[dict[str, Any]], bool] | None = None
    # optional: the fault layer's tenant and business attributes (e.g. {"sobject": "Account"}) of a request
    tenant: Callable[[LaneRequest], str | None] | None = None
    attrs: Callable[[LaneRequest], dict[str, str]] | None = None
    # optional: the vendor's error for a known path asked with a method it does not take (else ``not_found``)
    method_not_allowed: Callable[[LaneRequest, tuple[str, ...]], SimError] | None = None


Segment = tuple[str, str | None]   # (literal head, variable name or None)


def _compile(rule: str) -> tuple[tuple[Segment, ...], str | None]:
    """A rule's segments, and the name of its trailing ``<path:...>`` variable if it has one."""
    segs = rule.strip("/").split("/")
    tail = None
    if segs[-1].startswith("<path:") and segs[-1].endswith(">"):
        tail = segs.pop()[6:-1]
    out = []
    for seg in segs:
        i = seg.find("<")
        out.append((seg[:i], seg[i + 1:-1]) if i >= 0 and seg.endswith(">") else (seg, None))
    return tuple(out), tail


def _bind(rule: tuple[Segment, ...], segs: list[str], args: dict[str, str]) -> bool:
    for (head, var), got in zip(rule, segs):
        if var is None:
            if head != got:
                return False
        elif len(got) <= len(head) or not got.startswith(head):
            return False
        else:
            args[var] = got[len(head):]
    return True


Route = tuple[tuple[Segment, ...], str, Callable]


class Lane:
    def __init__(self, sim: Sim, hooks: LaneHooks, fallback: Callable, prefix: str | tuple[str, ...],
                 owns: Callable[[str], bool] | None = None, run_inline: bool = True):
        self.sim = sim
        self.hooks = hooks
        self.fallback = fallback
        self.prefix = prefix
        self.owns = owns
        self.run_inline = run_inline
        # (method, number of segments) -> [(segments, endpoint, handler)], first added first tried;
        # rules ending in <path:...>: method -> [(segments, tail name, endpoint, handler)]
        self._routes: dict[tuple[str, int], list[Route]] = {}
        # the same routes indexed by their second segment when it is a literal (``customers`` in
        # ``/v1/customers/<id>``; None when it is a variable), each with its position, so a request
        # tries only the routes that can match, still in the order they were added
        self._index: dict[tuple[str, int, str | None], list[tuple[int, Route]]] = {}
        self._added = 0   # fixed-length routes added so far: the next one's position
        self._tails: dict[str, list[tuple[tuple[Segment, ...], str, str, Callable]]] = {}
        # endpoint -> whether it may run on the event loop: True, False or a predicate on the environ
        self._inline: dict[str, bool | Callable[[dict[str, Any]], bool]] = {}
        sim.operation_sources.append(self.endpoints)

    def endpoints(self) -> list[str]:
        return [e for routes in self._routes.values() for _, e, _ in routes] + \
            [e for routes in self._tails.values() for _, _, e, _ in routes]

    def add(self, method: str, rule: str, endpoint: str, handler: Callable,
            inline: bool | Callable[[dict[str, Any]], bool] = True) -> None:
        if inline is not True:
            self._inline[endpoint] = inline
        segs, tail = _compile(rule)
        if tail is None:
            route = (segs, endpoint, handler)
            self._routes.setdefault((method, len(segs)), []).append(route)
            second = segs[1][0] if len(segs) > 1 and segs[1][1] is None else None
            self._index.setdefault((method, len(segs), second), []).append((self._added, route))
            self._added += 1
        else:
            self._tails.setdefault(method, []).append((segs, tail, endpoint, handler))

    def match(self, method: str, path: str) -> tuple[str, Callable, dict[str, str]] | None:
        if path.endswith("//"):
            return None
        segs = path.strip("/").split("/") if path != "/" else [""]
        found = self._match(method, segs)
        if found is None and method == "HEAD":
            found = self._match("GET", segs)
        return found

    def _candidates(self, method: str, segs: list[str]) -> list[Route]:
        n = len(segs)
        exact = self._index.get((method, n, segs[1])) if n > 1 else None
        loose = self._index.get((method, n, None))
        if not loose:
            return [r for _, r in exact] if exact else []
        return [r for _, r in sorted((exact or []) + loose, key=lambda pr: pr[0])]

    def _match(self, method: str, segs: list[str]) -> tuple[str, Callable, dict[str, str]] | None:
        for rule, endpoint, handler in self._candidates(method, segs):
            args: dict[str, str] = {}
            if _bind(rule, segs, args):
                return endpoint, handler, args
        for rule, tail, endpoint, handler in self._tails.get(method, ()):
            n = len(rule)
            args = {}
            if len(segs) > n and _bind(rule, segs, args):
                rest = "/".join(segs[n:])
                if rest:
                    args[tail] = rest
                    return endpoint, handler, args
        return None

    def allowed(self, path: str) -> tuple[str, ...]:
        """The methods some route takes for ``path`` (HEAD wherever GET is), sorted."""
        segs = path.strip("/").split("/") if path != "/" else [""]
        methods = {m for m, _ in self._routes} | set(self._tails)
        out = {m for m in methods if self._match(m, segs) is not None}
        if "GET" in out:
            out.add("HEAD")
        return tuple(sorted(out))

    def claims(self, path: str) -> bool:
        """The lane's paths; a lane without a fallback app owns every path (its 404 for the rest)."""
        return self.fallback is None or path.startswith(self.prefix) or (self.owns is not None and self.owns(path))

    def inline(self, environ: dict[str, Any]) -> bool:
        """Whether the live server may run this request on its event loop (see the module's doc)."""
        if not (self.run_inline and self.claims(environ.get("PATH_INFO") or "")):
            return False
        if self.hooks.inline is not None:   # the vendor decides per request
            return bool(self.hooks.inline(environ))
        if not self._inline:
            return True
        found = self._match_environ(environ)
        flag = self._inline.get(found[0], True) if found else True
        return flag if isinstance(flag, bool) else bool(flag(environ))

    def endpoint(self, environ: dict[str, Any]) -> str | None:
        """The endpoint a request's route names (None: no route), matched once per request; for a
        vendor's ``LaneHooks.inline`` predicate."""
        found = self._match_environ(environ)
        return found[0] if found else None

    def _match_environ(self, environ: dict[str, Any]) -> tuple[str, Callable, dict[str, str]] | None:
        """The route of a request, matched once (kept in the environ for ``__call__``)."""
        if "o2c.lane_match" not in environ:
            path = (environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8", "replace")
            environ["o2c.lane_match"] = self.match(environ["REQUEST_METHOD"], path)
        return environ["o2c.lane_match"]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        if not self.claims(environ.get("PATH_INFO") or ""):
            return self.fallback(environ, start_response)
        req = LaneRequest(environ)
        hooks, sim = self.hooks, self.sim
        found = self._match_environ(environ)
        req.endpoint = found[0] if found else None
        req.trace = t = Trace(req.endpoint or "unknown", req.header("User-Agent") or "anonymous",
                              inline=bool(environ.get("o2c.inline")))
        if found is not None:
            req.url_args = found[2]
        hooks.begin(req)
        try:
            sim.gate(t, lambda: hooks.authenticate(req), lambda: hooks.params(req),
                     hooks.tenant(req) if hooks.tenant else None, hooks.attrs(req) if hooks.attrs else None)
            if found is None:
                allowed = self.allowed(req.path) if hooks.method_not_allowed else ()
                raise hooks.method_not_allowed(req, allowed) if allowed else hooks.not_found(req)
            status, headers, body = hooks.dispatch(req, found[1])
        except DropConnection:
            status, headers, body = 599, [(DROP_HEADER, "1")], b""
        except SimError as exc:
            status, headers, body = hooks.render_error(exc)
        except Exception as exc:  # a bug in the fake: the vendor's 500 body; the traceback to the log only
            log.error("%s: unexpected error on %s %s", sim.name, req.method, req.path, exc_info=exc)
            problem = HttpProblem(req.method, req.path, content_type=req.header("Content-Type") or "")
            err = (sim.vendor.http_error(500, problem) if sim.vendor.http_error
                   else SimError("An unexpected error occurred.", status=500))
            status, headers, body = hooks.render_error(err)
        if status != 599:
            hooks.finish(req, headers)
            delay = sim.deferred_latency(t)
            if delay:
                headers.append((DELAY_HEADER, str(delay)))
        sim.record(t, req.method, req.full_path, status)
        if req.method == "HEAD":   # no body on a HEAD answer (RFC 9110 section 9.3.2)
            body = b""
        headers.append(("Content-Length", str(len(body))))
        start_response(_STATUS.get(status, f"{status} Unknown"), headers)
        return [body]
