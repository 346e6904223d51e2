"""The live-mode HTTP server, the only one: asyncio (uvloop when installed) + httptools' HTTP/1.1
parser, in front of a WSGI app. Chosen by measurement (docs/benchmarks.md): gunicorn's gthread worker
topped out near 4,000 trivial requests per second on this 2-core machine; granian is much faster but
cannot drop a connection, which the fault layer needs.

What it does:
- HTTP/1.1 keep-alive and pipelining (answers in order, one request in flight per connection),
  ``Expect: 100-continue``, HEAD, HTTP/1.0 ``Connection: close``; bodies are buffered.
- Limits (``loopconn.ServerLimits``, each a ``simulators.core.server`` option): request line + headers
  (431), the time to send a request head (slowloris connections are closed), idle keep-alive, body
  size (413, refused before ``100 Continue``), exactly one Host on HTTP/1.1 (400). An ``Upgrade``
  (h2c) request is answered once over HTTP/1.1 and the upgrade ignored.
- Each request runs the WSGI app in a worker thread (``threads``), so handlers may block (latency
  faults sleep; the control plane's clock advance waits on other processes). An app may mark
  requests safe to run on the event loop itself, skipping the thread hand-off: ``inline(environ)``
  (the fast lane's, see lane.py); a body over ``ServerLimits.inline_body`` is still parsed in a worker, so
  large uploads never stall the loop. Inline requests must not block; the pipeline does not sleep
  for them but answers with ``X-Sim-Delay-Ms``, and the server holds the answer back that long.
- A response carrying ``X-Sim-Drop-Connection`` aborts the connection without a byte of answer
  (directives.py reads both markers).
- TLS when given a certificate (the Salesforce fake).
"""
from __future__ import annotations

import asyncio
import io
import signal
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

import httptools

from .directives import directives
from .loopconn import Connection, Request, ServerLimits

_INTERNAL_ERROR = b'{"error": {"status": 500, "message": "internal server error"}}'


class LoopServer:
    def __init__(self, app: Callable, host: str, port: int, threads: int = 8, ssl_context: Any = None,
                 inline: Callable[[dict[str, Any]], bool] | None = None, limits: ServerLimits | None = None) -> None:
        self.app = app
        self.limits = limits or ServerLimits()
        self.inline = inline
        self.host, self.port = host, port
        self.ssl_context = ssl_context
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        self.connections: set[Connection] = set()
        self.stopping = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.scheme = "https" if ssl_context else "http"

    def environ(self, req: Request, peer: tuple) -> dict[str, Any]:
        url = httptools.parse_url(req.url)
        body = b"".join(req.body)
        env: dict[str, Any] = {
            "REQUEST_METHOD": req.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(url.path or b"/").decode("latin-1"),
            "QUERY_STRING": (url.query or b"").decode("latin-1"),
            "SERVER_NAME": self.host, "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": f"HTTP/{req.version}",
            "REMOTE_ADDR": peer[0], "REMOTE_PORT": str(peer[1]),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0), "wsgi.url_scheme": self.scheme, "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "wsgi.input_terminated": True,
        }
        for name, value in req.headers:
            key = name.decode("latin-1").upper().replace("-", "_")
            val = value.decode("latin-1")
            if key == "CONTENT_TYPE":
                env["CONTENT_TYPE"] = val
                continue
            if key == "CONTENT_LENGTH":
                continue
            key = "HTTP_" + key
            env[key] = env[key] + "," + val if key in env else val
        return env

    def call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes, float, bool]:
        """Run the WSGI app to completion: (status, headers, body, delay seconds, drop)."""
        captured: dict[str, Any] = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda data: captured.setdefault("written", []).append(data)

        try:
            result = self.app(environ, start_response)
            try:
                body = b"".join(captured.get("written", [])) + b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return 500, [("Content-Type", "application/json")], _INTERNAL_ERROR, 0.0, False
        drop, delay, headers = directives(captured["headers"])
        return captured["status"], headers, body, delay, drop

    # ---- lifecycle ----------------------------------------------------------------------
    def run(self, on_ready: Callable[["LoopServer"], None] | None = None) -> None:
        """Serve until SIGTERM/SIGINT (main thread) or ``stop()`` (any thread)."""
        try:
            import uvloop
            loop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover - uvloop is a dependency, but asyncio works alone
            loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        server = loop.run_until_complete(loop.create_server(lambda: Connection(self), self.host, self.port,
                                                            ssl=self.ssl_context, backlog=2048, reuse_address=True))
        self.port = server.sockets[0].getsockname()[1]  # port 0 asks the system for a free one
        self._stop_event = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._stop_event.set)
        loop.call_later(self._sweep_every(), self._sweep)
        if on_ready:
            loop.call_soon(on_ready, self)
        try:
            loop.run_until_complete(self._stop_event.wait())
        finally:
            self.stopping = True
            server.close()
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.close()
            loop.run_until_complete(server.wait_closed())
            self.pool.shutdown(wait=False, cancel_futures=True)
            loop.close()

    def stop(self) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stop_event.set)

    def _sweep_every(self) -> float:
        return max(0.05, min(1.0, self.limits.header_timeout / 4, self.limits.idle_timeout / 4))

    def _sweep(self) -> None:
        """Close connections whose request head is overdue or that idled too long (``Connection.expire``)."""
        now = self.loop.time()
        for conn in list(self.connections):
            conn.expire(now)
        self.loop.call_later(self._sweep_every(), self._sweep)
