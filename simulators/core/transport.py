"""In-process transport: the ``responses`` library routes ``requests`` traffic for the vendors'
real hostnames to the fakes' WSGI apps, so official SDKs run unchanged with no sockets. While it
routes, the network guard (netguard.py) refuses any other client's lookup of a vendor host.

One ``responses`` route per app answers every method for the app's hostnames; the WSGI environ is
built directly (PEP 3333 and the keys werkzeug adds), equal to what werkzeug's ``EnvironBuilder``
gives for the same request, without its per-request machinery."""
from __future__ import annotations

import re
import sys
from http.client import responses as REASONS
from io import BytesIO
from typing import Iterable
from urllib.parse import unquote, urlsplit

import requests
import responses
from urllib3 import HTTPHeaderDict, HTTPResponse

from . import netguard
from .directives import directives

LOOPBACK = re.compile(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/")   # passes through to real servers
_FORM = "application/x-www-form-urlencoded"


def host_regex(hosts: Iterable[str]) -> re.Pattern:
    """``*.my.salesforce.com`` style patterns -> one URL regex."""
    parts = [re.escape(h).replace(r"\*", r"[A-Za-z0-9.-]+") for h in hosts]
    return re.compile(r"^https?://(?:%s)(?::\d+)?(?:/.*)?$" % "|".join(parts), re.IGNORECASE)


def _text(value) -> str:
    # requests_oauthlib (and others) set some header values as bytes; a socket would carry them as text.
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _body(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return _body(body.read())
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)   # chunked


def wsgi_environ(method: str, url: str, headers, body) -> dict:
    """The environ a WSGI server would give the app for this request: the keys and values werkzeug's
    ``EnvironBuilder`` sets (path percent-decoded as UTF-8 and carried as latin-1, duplicate header
    names joined with ", ", CONTENT_LENGTH from the body, never from the client's header)."""
    scheme, netloc, path, query, _ = urlsplit(url)
    path = path or "/"
    raw_path = path.encode("utf-8").decode("latin-1")
    data = _body(body)
    host, sep, port = netloc.partition(":")
    if not (sep and port.isdigit()):
        port = "443" if scheme == "https" else "80"
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path).encode("utf-8").decode("latin-1"),
        "QUERY_STRING": query.encode("utf-8").decode("latin-1"),
        "REQUEST_URI": raw_path,   # as mod_wsgi and uWSGI add it
        "RAW_URI": raw_path,       # as gunicorn adds it
        "SERVER_NAME": host,
        "SERVER_PORT": str(int(port)),
        "HTTP_HOST": netloc,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    content_type = None
    for name, value in headers.items():
        name = _text(name)
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            content_type = _text(value)
        elif key != "CONTENT_LENGTH":
            key = "HTTP_" + key
            value = _text(value)
            environ[key] = f"{environ[key]}, {value}" if key in environ else value
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if data or (content_type is not None and content_type.partition(";")[0].strip() == _FORM):
        environ["CONTENT_LENGTH"] = str(len(data))
    return environ


def call_wsgi(app, prepared: requests.PreparedRequest):
    """Run ``app`` on the request: (status code, [(header, value)], body)."""
    environ = wsgi_environ(prepared.method, prepared.url, prepared.headers, prepared.body)
    written: list[bytes] = []
    answer: list = []

    def start_response(status, headers, exc_info=None):
        if exc_info:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        answer[:] = (status, headers)
        return written.append

    app_iter = app(environ, start_response)
    try:
        content = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    if written:
        content = b"".join(written) + content
    status, headers = answer
    return int(status.split(" ", 1)[0]), headers, content


class _Sent:
    """What ``requests`` reads of the wire-level response: its headers (cookies are taken from
    ``msg``); already consumed and closed."""
    __slots__ = ("msg",)

    def __init__(self, msg: HTTPHeaderDict):
        self.msg = msg

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        pass


class AppRoute(responses.BaseResponse):
    """Every method to the URLs ``pattern`` matches -> the WSGI ``app``."""

    def __init__(self, pattern: re.Pattern, app):
        super().__init__("ANY", pattern)
        self.app = app

    def __eq__(self, other) -> bool:   # one route per app: removing it must not remove a twin's
        return self is other

    __hash__ = object.__hash__

    def matches(self, request: requests.PreparedRequest) -> tuple[bool, str]:
        if self.url.match(request.url):
            return True, ""
        return False, "URL does not match"

    def get_response(self, request: requests.PreparedRequest) -> HTTPResponse:
        status, headers, content = call_wsgi(self.app, request)
        drop, _delay, visible = directives(headers)   # in-process latency is slept, never deferred
        if drop:
            raise requests.exceptions.ConnectionError(
                f"Connection aborted: the fake dropped the connection ({request.method} {request.url})")
        headers = HTTPHeaderDict()   # duplicates kept (Set-Cookie)
        for k, v in visible:
            if k.lower() != "content-length":
                headers.add(k, v)
        return HTTPResponse(body=BytesIO(content), headers=headers, status=status, reason=REASONS.get(status),
                            preload_content=False, original_response=_Sent(headers),
                            request_method=request.method)


class InProcessRouter:
    """Start it to intercept; stop it to let go. Unknown hosts are refused (no network leaks),
    except loopback, which passes through to real servers."""

    def __init__(self):
        self._routes: list[tuple[re.Pattern, object]] = []
        self._mock: responses.RequestsMock | None = None

    def add(self, hosts: Iterable[str], app) -> None:
        self._routes.append((host_regex(hosts), app))
        if self._mock is not None:
            self._register(self._routes[-1])

    def remove(self, app) -> None:
        """Stop routing to ``app`` (every hostname added for it)."""
        self._routes = [r for r in self._routes if r[1] is not app]
        if self._mock is not None:
            self._mock.reset()
            self._mock.add_passthru(LOOPBACK)
            for route in self._routes:
                self._register(route)

    def _register(self, route) -> None:
        self._mock.add(AppRoute(*route))

    def start(self) -> "InProcessRouter":
        if self._mock is not None:   # already routing: one stop() undoes it
            return self
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self._mock.add_passthru(LOOPBACK)
        for route in self._routes:
            self._register(route)
        self._mock.start()
        netguard.on()   # any client other than requests must not reach the real vendors
        return self

    def stop(self) -> None:
        if self._mock is not None:
            netguard.off()
            self._mock.stop()
            self._mock.reset()
            self._mock = None
