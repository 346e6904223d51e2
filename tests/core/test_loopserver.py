"""The live-mode HTTP server (core/loopserver.py) on a real loopback socket: keep-alive, pipelining,
100-continue, HEAD, HTTP/1.0, malformed input, dropped connections, deferred latency, inline lane."""
from __future__ import annotations

import http.client
import re
import socket
import threading
import time

import pytest

from simulators.core.loopserver import LoopServer
from simulators.core.sim import DELAY_HEADER, DROP_HEADER

SEEN: list[dict] = []


def app(environ, start_response):
    SEEN.append({"path": environ["PATH_INFO"], "inline": environ.get("o2c.inline", False),
                 "thread": threading.current_thread().name})
    path = environ["PATH_INFO"]
    body = environ["wsgi.input"].read()
    if path == "/drop":
        start_response("599 Dropped", [(DROP_HEADER, "1")])
        return [b""]
    headers = [("Content-Type", "text/plain")]
    if path == "/slow":
        headers.append((DELAY_HEADER, "100"))
    if path == "/head":
        headers.append(("Content-Length", "11"))
        start_response("200 OK", headers)
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else b"hello world"]
    start_response("200 OK", headers)
    return [b"%s %s q=%s body=%s" % (environ["REQUEST_METHOD"].encode(), path.encode(),
                                      environ["QUERY_STRING"].encode(), body)]


@pytest.fixture(scope="module")
def server():
    ready = threading.Event()
    srv = LoopServer(app, "127.0.0.1", 0, threads=2, inline=lambda env: env["PATH_INFO"].startswith("/fast"))
    t = threading.Thread(target=srv.run, kwargs={"on_ready": lambda s: ready.set()}, daemon=True)
    t.start()
    assert ready.wait(10), "server did not start"
    yield srv
    srv.stop()
    t.join(10)


def read_all(s: socket.socket, until: bytes | None = None) -> bytes:
    """Read until the server closes the connection, or the answer ends with ``until`` (the socket's
    timeout bounds the wait)."""
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
        if until is not None and out.endswith(until):
            break
    return out


def raw(server, data: bytes, until: bytes | None = None, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(data)
        return read_all(s, until)


def test_keep_alive_serves_several_requests_on_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for i in range(3):
        conn.request("POST", f"/echo/{i}?x=1", body=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.read() == f"POST /echo/{i} q=x=1 body=a=b".encode()
        assert resp.getheader("Connection") is None
    conn.close()


def test_pipelined_requests_are_answered_in_order(server):
    reqs = b"".join(b"GET /p/%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(5))
    out = raw(server, reqs + b"GET /p/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    bodies = re.findall(rb"GET /p/\w+ q= body=", out)
    assert bodies == [b"GET /p/%d q= body=" % i for i in range(5)] + [b"GET /p/last q= body="]
    assert out.count(b"HTTP/1.1 200 OK") == 6


def test_expect_100_continue_then_body(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        first = s.recv(100)
        assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hello")
        answer = s.recv(1000)
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"POST /up q= body=hello")


def test_head_keeps_the_length_and_sends_no_body(server):
    out = raw(server, b"HEAD /head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"Content-Length: 11\r\n" in out and out.endswith(b"\r\n\r\n")


def test_http10_closes_after_the_answer(server):
    out = raw(server, b"GET /old HTTP/1.0\r\n\r\n")  # raw() reads until the server closes
    assert out.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in out


def test_percent_encoded_path_is_decoded_for_the_app(server):
    out = raw(server, b"GET /a%20b/c?q=%20 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert out.endswith(b"GET /a b/c q=q=%20 body=")


def test_malformed_request_gets_400_and_close(server):
    out = raw(server, b"THIS IS NOT HTTP\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")


def test_drop_fault_aborts_the_connection_without_an_answer(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()
    conn.close()


def test_inline_requests_run_on_the_event_loop_others_in_workers(server):
    SEEN.clear()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for path in ("/fast/1", "/slow-path-in-thread"):
        conn.request("GET", path)
        conn.getresponse().read()
    conn.close()
    by_path = {s["path"]: s for s in SEEN}
    assert by_path["/fast/1"]["inline"] is True and not by_path["/fast/1"]["thread"].startswith("http")
    assert by_path["/slow-path-in-thread"]["inline"] is False
    assert by_path["/slow-path-in-thread"]["thread"].startswith("http")


def test_deferred_latency_holds_the_answer_and_is_not_shown_to_the_client(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    began = time.monotonic()
    conn.request("GET", "/slow")
    resp = conn.getresponse()
    resp.read()
    assert time.monotonic() - began >= 0.09  # the app asked for 100 ms; a lower bound, not a speed test
    assert resp.status == 200 and resp.getheader(DELAY_HEADER) is None
    conn.close()


def test_chunked_request_body_reaches_the_app_whole(server):
    out = raw(server, b"POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                      b"4\r\nemai\r\n9\r\nl=a%40b.c\r\n0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"POST /chunks q= body=email=a%40b.c")
