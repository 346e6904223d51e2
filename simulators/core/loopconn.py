"""One client connection of the live server (loopserver.py): httptools parses, this answers in order
and enforces the server's limits (``ServerLimits``) before a request reaches the app.

Refusals made here come before routing, so they cannot be in a vendor's shape: they are a minimal
JSON body ``{"error": {"status": ..., "message": ...}}`` and the connection is closed.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

import httptools

if TYPE_CHECKING:
    from .loopserver import LoopServer

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
PIPELINE_DEPTH = 16   # requests read ahead of the answers before the connection stops reading
LINGER = 1.0          # seconds a refused connection is still read (and discarded) before it closes


@dataclass(frozen=True)
class ServerLimits:
    """The live server's limits; every field is a ``python -m simulators.core.server`` option."""

    max_header_bytes: int = 64 * 1024       # request line + headers; more gets 431
    header_timeout: float = 10.0            # seconds to receive a request's head, from its first byte
    idle_timeout: float = 75.0              # seconds a keep-alive connection may wait for its next request
    max_body: int = 10 * 1024 * 1024        # bytes; more gets 413 (before any 100 Continue)
    inline_body: int = 64 * 1024            # bodies larger than this never run on the event loop


class Refuse(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Request:
    __slots__ = ("method", "url", "headers", "body", "keep_alive", "version", "expect_continue", "size")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.expect_continue = False
        self.size = 0


class Connection(asyncio.Protocol):
    """Parse requests, answer them in order (one in flight), refuse what breaks the limits."""

    def __init__(self, server: "LoopServer") -> None:
        self.server = server
        self.limits: ServerLimits = server.limits
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.current: Request | None = None
        self.queue: list[Request] = []
        self.busy = False
        self.closed = False
        self.peer = ("127.0.0.1", 0)
        now = server.loop.time()
        self.last_active = now
        # reading a request's head: since when (the first request's clock starts at connect), and how much
        self.head_since: float | None = now
        self.head_bytes = 0
        self.stalled = 0   # bytes received since the parser last completed a header (one header growing)

    # ---- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        self.peer = transport.get_extra_info("peername") or ("127.0.0.1", 0)
        self.server.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return   # refused: what the client still sends is read and let go until the connection closes
        now = self.server.loop.time()
        self.last_active = now
        if self.current is None and self.head_since is None:
            self.head_since = now   # the first byte of the next request starts its header clock
        fired = self.head_bytes
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as up:
            # An Upgrade (h2c) request has been read whole and queued: it is answered once, over HTTP/1.1,
            # and the upgrade is ignored (RFC 9110 7.8: a server may). Later bytes are new HTTP/1.1 requests.
            self.parser = httptools.HttpRequestParser(self)
            rest = data[up.args[0]:] if up.args else b""
            if rest and not self.closed:
                self.data_received(rest)
            return
        except httptools.HttpParserCallbackError as exc:
            refusal = exc.__context__
            if isinstance(refusal, Refuse):
                self.refuse(refusal.status, refusal.message)
                return
            self.refuse(400, "malformed HTTP request")
            return
        except httptools.HttpParserError:
            self.refuse(400, "malformed HTTP request")
            return
        if self.current is not None and self.head_since is not None and self.head_bytes == fired:
            # no header completed in this chunk: it all belongs to one line still arriving (the part of
            # that line in the chunk where it began is not counted: the parser holds at most the limit
            # plus one read)
            self.stalled += len(data)
            if self.stalled > self.limits.max_header_bytes:
                self.refuse(431, "request header fields too large")

    # ---- httptools callbacks ------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.current = Request()
        self.head_bytes = self.stalled = 0
        if self.head_since is None:
            self.head_since = self.server.loop.time()

    def _count(self, n: int) -> None:
        self.head_bytes += n
        self.stalled = 0
        if self.head_bytes > self.limits.max_header_bytes:
            raise Refuse(431, "request header fields too large")

    def on_url(self, url: bytes) -> None:
        self._count(len(url) + 16)   # method, version, spaces and CRLF
        self.current.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        self.current.headers.append((name, value))
        if name.lower() == b"expect" and value.lower() == b"100-continue":
            self.current.expect_continue = True

    def on_headers_complete(self) -> None:
        req = self.current
        self.head_since = None
        req.method = self.parser.get_method().decode("latin-1")
        req.version = self.parser.get_http_version()
        req.keep_alive = self.parser.should_keep_alive()
        hosts = [v for k, v in req.headers if k.lower() == b"host"]
        if req.version == "1.1" and len(hosts) != 1:   # RFC 9112 3.2: exactly one Host, or 400
            raise Refuse(400, "an HTTP/1.1 request needs exactly one Host header")
        length = next((v for k, v in req.headers if k.lower() == b"content-length"), None)
        if length is not None and length.strip().isdigit() and int(length) > self.limits.max_body:
            raise Refuse(413, f"request body larger than {self.limits.max_body} bytes")
        if req.expect_continue and not self.busy and not self.queue:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self.current.size += len(body)
        if self.current.size > self.limits.max_body:   # chunked bodies announce no length
            raise Refuse(413, f"request body larger than {self.limits.max_body} bytes")
        self.current.body.append(body)

    def on_message_complete(self) -> None:
        req, self.current = self.current, None
        if req is None or self.closed:
            return
        self.queue.append(req)
        if len(self.queue) > PIPELINE_DEPTH:
            self.transport.pause_reading()  # a client pipelining far ahead waits for answers
        self._next()

    # ---- answering ----------------------------------------------------------------------
    def _next(self) -> None:
        if self.busy or not self.queue or self.closed:
            return
        req = self.queue.pop(0)
        self.busy = True
        server = self.server
        environ = server.environ(req, self.peer)
        if req.size <= self.limits.inline_body and server.inline is not None and server.inline(environ):
            environ["o2c.inline"] = True
            self._answer(req, server.call(environ))
        else:   # blocking work, and parsing a large body, stay off the event loop
            fut = server.loop.run_in_executor(server.pool, server.call, environ)
            fut.add_done_callback(lambda f: self._answer(req, f.result()))

    def _answer(self, req: Request, result: tuple[int, list[tuple[str, str]], bytes, float, bool]) -> None:
        status, headers, body, delay, drop = result
        if self.closed:
            return
        if drop:   # the fault layer's dropped connection: no byte of answer
            self.transport.abort()
            self.closed = True
            return
        if delay > 0:
            self.server.loop.call_later(delay, self._write, req, status, headers, body)
        else:
            self._write(req, status, headers, body)

    def _write(self, req: Request, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        if self.closed:
            return
        keep = req.keep_alive and not self.server.stopping
        out = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"]
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
            out.append(f"{k}: {v}\r\n")
        if not (100 <= status < 200 or status in (204, 304)):
            size = length if req.method == "HEAD" and length is not None else str(len(body))
            out.append(f"Content-Length: {size}\r\n")
        if not keep:
            out.append("Connection: close\r\n")
        out.append("\r\n")
        head = "".join(out).encode("latin-1")   # one encode, and one write (one TLS record) per answer
        self.transport.write(head + body if req.method != "HEAD" else head)
        self.last_active = self.server.loop.time()
        self.busy = False
        if not keep:
            self.transport.close()
            self.closed = True
            return
        if len(self.queue) <= PIPELINE_DEPTH:
            self.transport.resume_reading()
        self._next()

    def refuse(self, status: int, message: str) -> None:
        """Answer before routing (a minimal JSON body) and close the connection."""
        if self.closed:
            return
        body = json.dumps({"error": {"status": status, "message": message}}).encode()
        self.transport.write(f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        self.closed = True
        if self.transport.can_write_eof():
            # a lingering close: closing with the client's bytes unread would reset the connection and
            # could destroy the answer before the client reads it; read and discard them for a moment
            self.transport.write_eof()
            self.server.loop.call_later(LINGER, self.transport.close)
        else:
            self.transport.close()

    def expire(self, now: float) -> None:
        """Close the connection if a request head is overdue (slowloris: the first request's clock starts
        at connect, a later one's at its first byte) or the connection sat idle too long (between
        requests, or in the middle of a body)."""
        if self.closed or self.transport is None or self.busy or self.queue:
            return
        if self.head_since is not None:
            if now - self.head_since <= self.limits.header_timeout:
                return
            if self.current is not None:
                self.refuse(408, "request head not received in time")
                return
        elif now - self.last_active <= self.limits.idle_timeout:
            return
        self.transport.close()
        self.closed = True
