"""What the in-process router promises its users: every method reaches the app for its hostnames,
unknown hosts are refused, loopback passes through to real servers, routes come and go, and the
answer reaches requests as a socket would bring it (status, duplicate headers, cookies, redirects,
no body for HEAD, a dropped connection as a ConnectionError)."""
from __future__ import annotations

import json
import threading

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from simulators.core import netguard
from simulators.core.sim import DROP_HEADER
from simulators.core.transport import InProcessRouter

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@Request.application
def echo(request: Request) -> Response:
    if request.path == "/cookies":
        resp = Response("{}", content_type="application/json")
        resp.set_cookie("sid", "abc", domain="app.o2c.test")
        resp.set_cookie("theme", "dark", domain="app.o2c.test")
        return resp
    if request.path == "/redirect":
        return Response("", status=302, headers={"Location": "https://app.o2c.test/landed?from=redirect"})
    if request.path == "/drop":
        return Response(b"", status=599, headers={DROP_HEADER: "1"})
    return Response(json.dumps({"method": request.method, "path": request.path, "args": request.args.to_dict(),
                                "body": request.get_data(as_text=True), "auth": request.headers.get("Authorization"),
                                "cookie": request.headers.get("Cookie")}),
                    content_type="application/json", headers={"X-Twice": "1"})


@Request.application
def other(request: Request) -> Response:
    return Response("other", content_type="text/plain")


@pytest.fixture
def router():
    r = InProcessRouter()
    r.add(["app.o2c.test", "*.apps.o2c.test"], echo)
    r.start()
    yield r
    r.stop()


@pytest.fixture
def session():
    s = requests.Session()
    s.trust_env = False
    return s


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reaches_the_app(router, session, method):
    resp = session.request(method, "https://app.o2c.test/v1/x?q=%C3%A9", data=b"body" if method != "GET" else None)
    assert resp.status_code == 200
    seen = resp.json()
    assert (seen["method"], seen["path"], seen["args"]) == (method, "/v1/x", {"q": "é"})
    assert seen["body"] == ("body" if method != "GET" else "")


def test_head_has_the_headers_and_no_body(router, session):
    resp = session.head("https://app.o2c.test/v1/x")
    assert resp.status_code == 200 and resp.content == b""
    assert resp.headers["Content-Type"] == "application/json"


def test_wildcard_hosts_and_ports_are_routed(router, session):
    assert session.get("https://tenant-1.apps.o2c.test:8443/p").json()["path"] == "/p"
    assert session.get("http://app.o2c.test/q").json()["path"] == "/q"


def test_bytes_header_values_arrive_as_text(router, session):
    resp = session.get("https://app.o2c.test/", headers={"Authorization": b'OAuth realm="R\xe9"'})
    assert resp.json()["auth"] == 'OAuth realm="Ré"'


def test_duplicate_response_headers_and_cookies_reach_the_session(router, session):
    resp = session.get("https://app.o2c.test/cookies")
    assert len(resp.raw.headers.getlist("Set-Cookie")) == 2
    assert {c.name: c.value for c in session.cookies} == {"sid": "abc", "theme": "dark"}
    assert session.get("https://app.o2c.test/").json()["cookie"] in ("sid=abc; theme=dark", "theme=dark; sid=abc")


def test_redirects_are_followed_through_the_router(router, session):
    resp = session.get("https://app.o2c.test/redirect")
    assert [r.status_code for r in resp.history] == [302]
    assert resp.json()["args"] == {"from": "redirect"}


def test_the_answer_carries_no_content_length_of_its_own(router, session):
    resp = session.post("https://app.o2c.test/v1/x", json={"a": "é"})
    assert "Content-Length" not in resp.headers
    assert json.loads(resp.json()["body"]) == {"a": "é"}


def test_a_dropped_connection_is_a_connection_error(router, session):
    with pytest.raises(requests.exceptions.ConnectionError, match="dropped the connection"):
        session.get("https://app.o2c.test/drop")


def test_unknown_hosts_are_refused(router, session):
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("https://nowhere.o2c.test/")


def test_routes_added_while_routing_and_removed(router, session):
    router.add(["other.o2c.test"], other)
    assert session.get("https://other.o2c.test/").text == "other"
    router.remove(other)
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("https://other.o2c.test/")
    assert session.get("https://app.o2c.test/").status_code == 200   # the others stay
    router.add(["other.o2c.test"], other)   # and it can come back
    assert session.get("https://other.o2c.test/").text == "other"


def test_removing_one_app_keeps_another_on_the_same_hosts(router, session):
    router.add(["app.o2c.test"], other)   # a second route for a host: the first added still answers
    router.remove(echo)
    assert session.get("https://app.o2c.test/").text == "other"


def test_loopback_passes_through_to_a_real_server(router, session):
    server = make_server("127.0.0.1", 0, other, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert session.get(f"http://127.0.0.1:{server.port}/", timeout=10).text == "other"
    finally:
        server.shutdown()
        thread.join(10)


def test_start_and_stop_are_idempotent_and_guard_the_network():
    r = InProcessRouter()
    r.add(["app.o2c.test"], echo)
    assert not netguard.active()
    assert r.start() is r and r.start() is r
    assert netguard.active()
    assert requests.get("https://app.o2c.test/").status_code == 200
    r.stop()
    assert not netguard.active()
    r.stop()   # a second stop does nothing
    assert not netguard.active()
    r.start()
    try:
        assert requests.get("https://app.o2c.test/").status_code == 200   # routes survive a restart
    finally:
        r.stop()
