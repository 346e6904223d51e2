"""The integration's connections to the systems ignore the process's proxy settings (the systems are on
loopback, or in process): a user whose shell exports ``HTTPS_PROXY`` for the internet still reaches the
fakes. A CA bundle named in the environment is still trusted when the settings name none."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from simulators.clients.conns import _session
from simulators.clients.settings import Connections


class Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    t.join(5)


@pytest.fixture()
def dead_proxy(monkeypatch):
    """Every proxy variable pointing at a port nothing listens on, and no exemption for loopback."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_a_proxy_in_the_environment_does_not_take_the_integrations_calls(server, dead_proxy):
    # a session that reads the environment goes to the dead proxy: the setting is live in this process
    with pytest.raises(requests.exceptions.ProxyError):
        requests.Session().get(server + "/v1/ping", timeout=5)
    answer = _session(Connections()).get(server + "/v1/ping", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"path": "/v1/ping"}


def test_a_ca_bundle_in_the_environment_is_still_trusted_without_one_in_the_settings(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert _session(Connections()).verify == str(bundle)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bundle))
    assert _session(Connections()).verify == str(bundle)
    monkeypatch.delenv("CURL_CA_BUNDLE")
    assert _session(Connections()).verify is True
