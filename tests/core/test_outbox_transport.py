"""Webhook delivery over HTTP: a delivering thread keeps its connection alive between deliveries,
still honours the timeout, and the network guard still refuses the vendors' real hosts."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from simulators.core import netguard
from simulators.core.outbox import _session, http_transport


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"          # keep-alive
    seen: list[tuple[int, bytes]] = []
    release = threading.Event()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/slow":
            self.release.wait(10)          # answers only once the test lets it (bounded)
        self.seen.append((self.client_address[1], body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.seen = []
    Receiver.release = threading.Event()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    srv.daemon_threads = True
    # shutdown() waits for serve_forever to look at its flag, once per poll_interval (0.5 s by default)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    Receiver.release.set()
    srv.shutdown()
    srv.server_close()
    t.join(10)


def test_deliveries_from_one_thread_reuse_one_connection(receiver):
    results = [http_transport(receiver + "/hook", f'{{"n": {i}}}'.encode(), {"Content-Type": "application/json"}, 5.0)
               for i in range(3)]
    assert [r[0] for r in results] == [200, 200, 200] and all(r[2] is None for r in results)
    assert [body for _, body in Receiver.seen] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert len({port for port, _ in Receiver.seen}) == 1      # one TCP connection for all three


def test_a_delivery_still_times_out(receiver):
    status, _, error = http_transport(receiver + "/slow", b"{}", {}, 0.1)   # never answered before release
    Receiver.release.set()
    assert status is None and error in ("ReadTimeout", "ConnectionError")
    status, _, error = http_transport(receiver + "/hook", b"{}", {}, 5.0)   # the next one goes through
    assert status == 200 and error is None


def test_the_network_guard_still_refuses_a_vendor_host():
    netguard.on()
    try:
        status, _, error = http_transport("https://api.stripe.com/webhook", b"{}", {}, 2.0)
        with pytest.raises(requests.ConnectionError, match="o2c network guard"):   # refused by the guard, not DNS
            _session().post("https://api.stripe.com/webhook", data=b"{}", timeout=2.0)
    finally:
        netguard.off()
    assert status is None and error == "ConnectionError"
