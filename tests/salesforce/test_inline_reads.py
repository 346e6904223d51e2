"""Live reads on the event loop (app.py ``INLINE_READS``): a read that finds the org's lock free takes
it without waiting and is answered on the server's event loop; a read that finds it held (a write in
progress) goes to a worker thread and waits there, so the event loop keeps answering; writes, and
every request while a fault rule is set, always run on a worker."""
from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import quote, urlencode

import pytest

from simulators.core.loopserver import LoopServer
from simulators.salesforce.app import create_app

V = "/services/data/v59.0"
LOGIN = {"grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
         "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"}


@pytest.fixture()
def served():
    """The Salesforce fake behind the live server (plain HTTP: TLS plays no part here), recording for
    each request whether it ran on the event loop."""
    app = create_app(live=True)
    lane, org = app.extensions["lane"], app.extensions["salesforce"]
    seen: list[tuple[str, str, bool]] = []
    arrived = threading.Condition()

    def recording(environ, start_response):
        with arrived:
            seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], bool(environ.get("o2c.inline"))))
            arrived.notify_all()
        return app(environ, start_response)

    ready = threading.Event()
    srv = LoopServer(recording, "127.0.0.1", 0, threads=4, inline=lane.inline)
    t = threading.Thread(target=srv.run, kwargs={"on_ready": lambda s: ready.set()}, daemon=True)
    t.start()
    assert ready.wait(10), "server did not start"
    srv.arrived = arrived   # tests wait on it for a request to have been dispatched
    yield srv, org, seen
    srv.stop()
    t.join(10)


def call(srv, method: str, path: str, token: str | None = None, body: bytes | None = None,
         ctype: str = "application/json") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    headers = {"Content-Type": ctype} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    out = resp.status, resp.read()
    conn.close()
    return out


def login(srv) -> tuple[str, str]:
    status, body = call(srv, "POST", "/services/oauth2/token", body=urlencode(LOGIN).encode(),
                        ctype="application/x-www-form-urlencoded")
    assert status == 200, body
    token = json.loads(body)["access_token"]
    q = quote("SELECT Id FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'")
    status, body = call(srv, "GET", f"{V}/query?q={q}", token)
    assert status == 200, body
    return token, json.loads(body)["records"][0]["Id"]


def inline_of(seen, method: str, path: str) -> list[bool]:
    return [inline for m, p, inline in seen if m == method and p == path]


def test_a_read_with_the_lock_free_runs_on_the_event_loop_and_releases_the_lock(served):
    srv, org, seen = served
    token, acct = login(srv)
    status, body = call(srv, "GET", f"{V}/sobjects/Account/{acct}", token)
    assert status == 200 and json.loads(body)["Id"] == acct
    assert inline_of(seen, "GET", f"{V}/sobjects/Account/{acct}") == [True]
    assert inline_of(seen, "GET", f"{V}/query") == [True]
    # the lock went back when the answer was written: another thread takes it at once
    taken = []

    def probe():
        taken.append(org.store.lock.acquire(blocking=False))
        if taken[-1]:
            org.store.lock.release()

    t = threading.Thread(target=probe)
    t.start()
    t.join(5)
    assert taken == [True]


def test_a_read_while_the_lock_is_held_waits_on_a_worker_and_the_loop_keeps_answering(served):
    srv, org, seen = served
    token, acct = login(srv)
    holding, release = threading.Event(), threading.Event()

    def writer():   # stands for a long write transaction
        with org.store.lock:
            holding.set()
            release.wait(10)

    w = threading.Thread(target=writer)
    w.start()
    assert holding.wait(5)
    got: dict = {}
    reader = threading.Thread(target=lambda: got.update(answer=call(srv, "GET", f"{V}/sobjects/Account/{acct}",
                                                                    token)))
    reader.start()
    # the read has been dispatched (loop or worker decided) while the writer still holds the lock
    with srv.arrived:
        assert srv.arrived.wait_for(lambda: inline_of(seen, "GET", f"{V}/sobjects/Account/{acct}"), 10)
    # the event loop is not waiting on the lock: it still answers another request (on a worker)
    status, body = call(srv, "GET", "/_sim/health")
    assert status == 200, body
    assert "answer" not in got   # the read is still waiting for the writer's lock
    release.set()
    w.join(5)
    reader.join(10)
    status, body = got["answer"]
    assert status == 200 and json.loads(body)["Id"] == acct
    assert inline_of(seen, "GET", f"{V}/sobjects/Account/{acct}") == [False]


def test_writes_and_requests_under_a_fault_rule_run_on_a_worker(served):
    srv, org, seen = served
    token, acct = login(srv)
    status, _ = call(srv, "PATCH", f"{V}/sobjects/Account/{acct}", token, json.dumps({"Phone": "555"}).encode())
    assert status == 204
    org.sim.faults.add({"operation": "query.more", "error": {"code": "UNABLE_TO_LOCK_ROW"}})
    status, body = call(srv, "GET", f"{V}/sobjects/Account/{acct}", token)
    assert status == 200 and json.loads(body)["Phone"] == "555"
    assert inline_of(seen, "PATCH", f"{V}/sobjects/Account/{acct}") == [False]
    assert inline_of(seen, "GET", f"{V}/sobjects/Account/{acct}") == [False]
