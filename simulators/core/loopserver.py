"""The live-mode HTTP server: asyncio (uvloop when installed) + httptools' HTTP/1.1 parser, in front
of a WSGI app. Chosen by measurement (docs/benchmarks.md): gunicorn's gthread worker tops out near
4,000 trivial requests per second on this 2-core machine, which capped the Stripe fake below the
read target; granian is much faster but cannot drop a connection, which the fault layer needs.

What it does:
- HTTP/1.1 keep-alive and pipelining (answers in order, one request in flight per connection),
  ``Expect: 100-continue``, HEAD, HTTP/1.0 ``Connection: close``; bodies are buffered (the fakes'
  requests and answers are small) up to ``MAX_BODY``.
- Each request runs the WSGI app in a worker thread (``threads``), so handlers may block (latency
  faults sleep; the control plane's clock advance waits on other processes). An app may mark
  requests safe to run on the event loop itself, skipping the thread hand-off: ``inline(environ)``
  (the fast lane's, see lane.py). Inline requests must not block; the pipeline does not sleep for them
  but answers with ``X-Sim-Delay-Ms``, and the server holds the answer back that long.
- A response carrying ``X-Sim-Drop-Connection`` aborts the connection without a byte of answer.
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
from http import HTTPStatus
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

import httptools

from .sim import DELAY_HEADER, DROP_HEADER

MAX_BODY = 16 * 1024 * 1024
IDLE_TIMEOUT = 75.0  # seconds a keep-alive connection may stay idle
_REASONS = {s.value: s.phrase for s in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _Request:
    __slots__ = ("method", "url", "headers", "body", "keep_alive", "version", "expect_continue")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.expect_continue = False


class _Connection(asyncio.Protocol):
    """One client connection: parse requests, answer them in order."""

    def __init__(self, server: "LoopServer") -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.current: _Request | None = None
        self.queue: list[_Request] = []
        self.busy = False
        self.closed = False
        self.last_active = 0.0
        self.peer = ("127.0.0.1", 0)
        self.size = 0

    # ---- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        self.peer = transport.get_extra_info("peername") or ("127.0.0.1", 0)
        self.last_active = self.server.loop.time()
        self.server.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.last_active = self.server.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(400, b"upgrade is not supported")
        except httptools.HttpParserError:
            self._reject(400, b"malformed HTTP request")

    # ---- httptools callbacks ------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.current = _Request()
        self.size = 0

    def on_url(self, url: bytes) -> None:
        self.current.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.current.headers.append((name, value))
        if name.lower() == b"expect" and value.lower() == b"100-continue":
            self.current.expect_continue = True

    def on_headers_complete(self) -> None:
        req = self.current
        req.method = self.parser.get_method().decode("latin-1")
        req.version = self.parser.get_http_version()
        req.keep_alive = self.parser.should_keep_alive()
        if req.expect_continue and not self.busy and not self.queue:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > MAX_BODY:
            self._reject(413, b"request body too large")
            return
        self.current.body.append(body)

    def on_message_complete(self) -> None:
        req, self.current = self.current, None
        if req is None or self.closed:
            return
        self.queue.append(req)
        if len(self.queue) > 16:
            self.transport.pause_reading()  # a client pipelining far ahead waits for answers
        self._next()

    # ---- answering ----------------------------------------------------------------------
    def _next(self) -> None:
        if self.busy or not self.queue or self.closed:
            return
        req = self.queue.pop(0)
        self.busy = True
        environ = self.server.environ(req, self.peer)
        if self.server.inline is not None and self.server.inline(environ):
            environ["o2c.inline"] = True
            self._answer(req, self.server.call(environ))
        else:
            fut = self.server.loop.run_in_executor(self.server.pool, self.server.call, environ)
            fut.add_done_callback(lambda f: self._answer(req, f.result()))

    def _answer(self, req: _Request, result: tuple[int, list[tuple[str, str]], bytes, float, bool]) -> None:
        status, headers, body, delay, drop = result
        if self.closed:
            return
        if drop:
            self.transport.abort()
            self.closed = True
            return
        if delay > 0:
            self.server.loop.call_later(delay, self._write, req, status, headers, body)
        else:
            self._write(req, status, headers, body)

    def _write(self, req: _Request, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        if self.closed:
            return
        keep = req.keep_alive and not self.server.stopping
        out = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n".encode("latin-1")]
        length = None
        for k, v in headers:
            lk = k.lower()
            if lk == "content-length":
                length = v  # recomputed below, except for HEAD where the app knows the real size
                continue
            if lk == "connection":
                if v.lower() == "close":
                    keep = False
                continue
            out.append(f"{k}: {v}\r\n".encode("latin-1"))
        if not (100 <= status < 200 or status in (204, 304)):
            size = length if req.method == "HEAD" and length is not None else str(len(body))
            out.append(f"Content-Length: {size}\r\n".encode("latin-1"))
        if not keep:
            out.append(b"Connection: close\r\n")
        out.append(b"\r\n")
        if req.method != "HEAD":
            out.append(body)
        self.transport.write(b"".join(out))
        self.last_active = self.server.loop.time()
        self.busy = False
        if not keep:
            self.transport.close()
            self.closed = True
            return
        if len(self.queue) <= 16:
            self.transport.resume_reading()
        self._next()

    def _reject(self, status: int, message: bytes) -> None:
        if self.closed:
            return
        self.transport.write(f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: text/plain\r\n"
                             f"Content-Length: {len(message)}\r\nConnection: close\r\n\r\n".encode() + message)
        self.transport.close()
        self.closed = True


class LoopServer:
    def __init__(self, app: Callable, host: str, port: int, threads: int = 8, ssl_context: Any = None,
                 inline: Callable[[dict[str, Any]], bool] | None = None) -> None:
        self.app = app
        self.inline = inline
        self.host, self.port = host, port
        self.ssl_context = ssl_context
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        self.connections: set[_Connection] = set()
        self.stopping = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.scheme = "https" if ssl_context else "http"

    def environ(self, req: _Request, peer: tuple) -> dict[str, Any]:
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
            return 500, [("Content-Type", "text/plain")], b"internal server error", 0.0, False
        delay, drop, headers = 0.0, False, []
        for k, v in captured["headers"]:
            if k == DROP_HEADER:
                drop = True
            elif k == DELAY_HEADER:
                delay = float(v) / 1000
            else:
                headers.append((k, v))
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
        server = loop.run_until_complete(loop.create_server(lambda: _Connection(self), self.host, self.port,
                                                            ssl=self.ssl_context, backlog=2048, reuse_address=True))
        self.port = server.sockets[0].getsockname()[1]  # port 0 asks the system for a free one
        self._stop_event = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._stop_event.set)
        loop.call_later(5.0, self._sweep)
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

    def _sweep(self) -> None:
        """Close keep-alive connections idle longer than IDLE_TIMEOUT."""
        now = self.loop.time()
        for conn in list(self.connections):
            if not conn.busy and not conn.queue and now - conn.last_active > IDLE_TIMEOUT and conn.transport:
                conn.transport.close()
        self.loop.call_later(5.0, self._sweep)
