"""In-process transport: the ``responses`` library routes ``requests`` traffic for the vendors'
real hostnames to the fakes' WSGI apps, so official SDKs run unchanged with no sockets. While it
routes, the network guard (netguard.py) refuses any other client's lookup of a vendor host."""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit

import requests
import responses
from werkzeug.test import EnvironBuilder, run_wsgi_app

from . import netguard
from .directives import directives

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


LOOPBACK = re.compile(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/")   # passes through to real servers


def host_regex(hosts: Iterable[str]) -> re.Pattern:
    """``*.my.salesforce.com`` style patterns -> one URL regex."""
    parts = [re.escape(h).replace(r"\*", r"[A-Za-z0-9.-]+") for h in hosts]
    return re.compile(r"^https?://(?:%s)(?::\d+)?(?:/.*)?$" % "|".join(parts), re.IGNORECASE)


def call_wsgi(app, prepared: requests.PreparedRequest):
    split = urlsplit(prepared.url)
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    # requests_oauthlib (and others) set some header values as bytes; a socket would carry them as text.
    headers = {k: (v.decode("latin-1") if isinstance(v, bytes) else v)
               for k, v in prepared.headers.items() if k.lower() not in ("content-length",)}
    builder = EnvironBuilder(
        path=split.path or "/", base_url=f"{split.scheme}://{split.netloc}", query_string=split.query,
        method=prepared.method, headers=headers, data=body or b"",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, resp_headers = run_wsgi_app(app, environ, buffered=True)
    try:
        content = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    return int(status.split(" ", 1)[0]), resp_headers, content


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
        pattern, app = route

        def callback(prepared):
            status, headers, content = call_wsgi(app, prepared)
            drop, _delay, visible = directives(headers.items())   # in-process latency is slept, never deferred
            if drop:
                return requests.exceptions.ConnectionError(
                    f"Connection aborted: the fake dropped the connection ({prepared.method} {prepared.url})")
            return status, [(k, v) for k, v in visible if k.lower() != "content-length"], content

        for method in METHODS:
            self._mock.add_callback(method, pattern, callback=callback)

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
