"""Salesforce fake under concurrent requests: one isolated transaction per request.

The mixes that used to lose data: single ``POST sobjects/Account`` creates interleaved with
``composite/sobjects`` collections sent with ``allOrNone: true`` and one invalid record (every one
of them must roll back entirely), plus ordinary mixed traffic (queries over the table while others
insert, updates, deletes, composite requests) and concurrent upserts of one external id.
"""
from __future__ import annotations

import random
import threading
from collections import Counter

import requests

from simulators.salesforce.client import oauth_token

from .conftest import run_threads

V = "/services/data/v59.0"
THREADS = 16


def _token(client) -> dict[str, str]:
    r = client.post("/services/oauth2/token", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


def _doomed_collection(tag: str) -> dict:
    records = [{"attributes": {"type": "Account"}, "Name": f"rb-{tag}-{k}"} for k in range(4)]
    records.insert(2, {"attributes": {"type": "Account"}, "BillingCity": "no Name: required"})
    return {"allOrNone": True, "records": records}


def _names(client, headers, pattern: str) -> set[str]:
    q = client.get(f"{V}/query", query_string={"q": f"SELECT Name FROM Account WHERE Name LIKE '{pattern}'"},
                   headers=headers)
    assert q.status_code == 200
    body = q.get_json()
    assert body["done"], "more than one page: raise the test's batch size"
    return {r["Name"] for r in body["records"]}


def test_creates_and_all_or_none_collections_interleaved(app_of):
    app = app_of("salesforce")
    auth = _token(app.test_client())
    per_thread = 16

    def work(t: int):
        client, acked, statuses = app.test_client(), [], Counter()
        for i in range(per_thread):
            if (t + i) % 2:
                r = client.post(f"{V}/sobjects/Account", json={"Name": f"ok-{t}-{i}"}, headers=auth)
                if r.status_code == 201:
                    acked.append(r.get_json()["id"])
            else:
                r = client.post(f"{V}/composite/sobjects", json=_doomed_collection(f"{t}-{i}"), headers=auth)
                assert r.status_code == 200
                results = r.get_json()
                assert [x["success"] for x in results] == [False] * 5
                assert {x["errors"][0]["statusCode"] for x in results} == {
                    "REQUIRED_FIELD_MISSING", "ALL_OR_NONE_OPERATION_ROLLED_BACK"}
            statuses[r.status_code] += 1
        return acked, statuses

    results = run_threads(THREADS, work)
    acked = [rid for a, _ in results for rid in a]
    statuses = sum((s for _, s in results), Counter())
    assert not [s for s in statuses if s >= 500], statuses
    assert len(acked) == THREADS * per_thread // 2
    client = app.test_client()
    lost = [rid for rid in acked if client.get(f"{V}/sobjects/Account/{rid}", headers=auth).status_code != 200]
    assert lost == []
    assert _names(client, auth, "ok-%") == {f"ok-{t}-{i}" for t in range(THREADS) for i in range(per_thread)
                                           if (t + i) % 2}
    assert _names(client, auth, "rb-%") == set()   # nothing of a rolled-back request persists


def test_mixed_traffic_never_answers_5xx_and_keeps_every_acknowledged_write(app_of):
    app = app_of("salesforce")
    auth = _token(app.test_client())
    per_thread = 40

    def work(t: int):
        rnd, client = random.Random(t), app.test_client()
        alive, deleted, statuses = {}, set(), Counter()
        for i in range(per_thread):
            op = rnd.choice(["create", "create", "query", "query", "update", "composite", "delete", "recent"])
            if op in ("update", "delete") and not alive:
                op = "create"
            if op == "create":
                r = client.post(f"{V}/sobjects/Account", json={"Name": f"mx-{t}-{i}"}, headers=auth)
                if r.status_code == 201:
                    alive[r.get_json()["id"]] = None
            elif op == "query":
                r = client.get(f"{V}/query", headers=auth, query_string={
                    "q": "SELECT Id, Name, BillingCity FROM Account WHERE Name LIKE 'mx-%' ORDER BY Name"})
            elif op == "recent":
                r = client.get(f"{V}/sobjects/Account", headers=auth)
            elif op == "update":
                rid = rnd.choice(sorted(alive))
                r = client.patch(f"{V}/sobjects/Account/{rid}", json={"BillingCity": f"city-{i}"}, headers=auth)
                if r.status_code == 204:
                    alive[rid] = f"city-{i}"
            elif op == "delete":
                rid = sorted(alive)[0]
                r = client.delete(f"{V}/sobjects/Account/{rid}", headers=auth)
                if r.status_code == 204:
                    del alive[rid]
                    deleted.add(rid)
            else:
                r = client.post(f"{V}/composite", headers=auth, json={"allOrNone": True, "compositeRequest": [
                    {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "a",
                     "body": {"Name": f"mx-{t}-{i}"}},
                    {"method": "PATCH", "url": f"{V}/sobjects/Account/@{{a.id}}", "referenceId": "b",
                     "body": {"BillingCity": "composite"}}]})
                subs = r.get_json()["compositeResponse"]
                if [s["httpStatusCode"] for s in subs] == [201, 204]:
                    alive[subs[0]["body"]["id"]] = "composite"
            statuses[r.status_code] += 1
        return alive, deleted, statuses

    results = run_threads(8, work)
    statuses = sum((s for _, _, s in results), Counter())
    assert sum(statuses.values()) == 8 * per_thread
    assert not [s for s in statuses if s >= 500], statuses
    client = app.test_client()
    for alive, deleted, _ in results:
        for rid, city in alive.items():
            r = client.get(f"{V}/sobjects/Account/{rid}", headers=auth)
            assert r.status_code == 200 and r.get_json()["BillingCity"] == city
        for rid in deleted:
            assert client.get(f"{V}/sobjects/Account/{rid}", headers=auth).get_json()[0]["errorCode"] == \
                "ENTITY_IS_DELETED"


def test_concurrent_upserts_of_one_external_id_create_one_record(app_of):
    app = app_of("salesforce")
    auth = _token(app.test_client())

    def work(t: int):
        r = app.test_client().patch(f"{V}/sobjects/Account/Customer_Key__c/RACE-1", headers=auth,
                                    json={"Name": f"Race {t}"})
        return r.status_code, r.get_json()

    answers = run_threads(THREADS, work)
    assert sorted(s for s, _ in answers) == [200] * (THREADS - 1) + [201]
    assert len({body["id"] for _, body in answers}) == 1
    q = app.test_client().get(f"{V}/query", headers=auth,
                              query_string={"q": "SELECT Id FROM Account WHERE Customer_Key__c = 'RACE-1'"})
    assert q.get_json()["totalSize"] == 1


def test_live_server_keeps_every_write_under_concurrent_mixes(live_salesforce):
    base = live_salesforce.url("salesforce")
    token = oauth_token(base, live_salesforce.ca_path)["access_token"]
    per_thread = 12
    lock, statuses = threading.Lock(), Counter()

    def session() -> requests.Session:
        s = requests.Session()
        s.trust_env = False
        s.verify = str(live_salesforce.ca_path)
        s.headers["Authorization"] = f"Bearer {token}"
        return s

    def work(t: int):
        s, acked = session(), []
        for i in range(per_thread):
            if (t + i) % 2:
                r = s.post(f"{base}{V}/sobjects/Account", json={"Name": f"live-{t}-{i}"}, timeout=30)
                if r.status_code == 201:
                    acked.append(r.json()["id"])
            else:
                r = s.post(f"{base}{V}/composite/sobjects", json=_doomed_collection(f"live-{t}-{i}"), timeout=30)
                assert not any(x["success"] for x in r.json())
            with lock:
                statuses[r.status_code] += 1
        return acked

    acked = [rid for a in run_threads(12, work) for rid in a]
    assert not [s for s in statuses if s >= 500], statuses
    assert len(acked) == 12 * per_thread // 2
    s = session()
    assert [rid for rid in acked if s.get(f"{base}{V}/sobjects/Account/{rid}", timeout=30).status_code != 200] == []
    q = s.get(f"{base}{V}/query", params={"q": "SELECT COUNT() FROM Account WHERE Name LIKE 'rb-live-%'"}, timeout=30)
    assert q.json()["totalSize"] == 0
