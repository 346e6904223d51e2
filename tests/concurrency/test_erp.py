"""ERP fake (NetSuite REST shape) under concurrent requests: upserts by external id from many
threads make one record; concurrent creates are all durable; lists and SuiteQL read while others
write without a 5xx."""
from __future__ import annotations

from collections import Counter

from .conftest import run_threads

REST = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
AUTH = {"Authorization": "Bearer o2c-erp-token"}
THREADS = 16


def test_concurrent_upserts_by_external_id_make_one_customer(app_of):
    app = app_of("erp")

    def work(t: int):
        r = app.test_client().put(f"{REST}/customer/eid:RACE-1", json={"companyName": f"Race {t}"}, headers=AUTH)
        return r.status_code, r.headers.get("Location")

    answers = run_threads(THREADS, work)
    assert sorted(s for s, _ in answers) == [204] * THREADS
    created = [loc for _, loc in answers if loc]
    assert len(created) == 1   # exactly one upsert created; the others updated it
    cid = created[0].rsplit("/", 1)[1]
    client = app.test_client()
    assert client.get(f"{REST}/customer/eid:RACE-1", headers=AUTH).get_json()["id"] == cid
    q = client.post(SUITEQL, json={"q": "SELECT id FROM customer WHERE externalId = 'RACE-1'"},
                    headers={**AUTH, "Prefer": "transient"})
    assert q.status_code == 200 and [row["id"] for row in q.get_json()["items"]] == [cid]


def test_concurrent_creates_with_reads_are_all_durable(app_of):
    app = app_of("erp")
    per_thread = 20

    def work(t: int):
        client, made, statuses = app.test_client(), {}, Counter()
        for i in range(per_thread):
            if i % 3 == 2:
                r = client.post(SUITEQL, json={"q": "SELECT id, externalId FROM customer"},
                                headers={**AUTH, "Prefer": "transient"})
            elif i % 3 == 1:
                r = client.get(f"{REST}/customer", headers=AUTH)
            else:
                ext = f"C-{t}-{i}"
                r = client.post(f"{REST}/customer", json={"companyName": ext, "externalId": ext}, headers=AUTH)
                if r.status_code == 204:
                    made[ext] = r.headers["Location"].rsplit("/", 1)[1]
            statuses[r.status_code] += 1
        return made, statuses

    results = run_threads(THREADS, work)
    statuses = sum((s for _, s in results), Counter())
    assert not [s for s in statuses if s >= 500], statuses
    made = {ext: cid for m, _ in results for ext, cid in m.items()}
    assert len(made) == THREADS * len(range(0, per_thread, 3))
    assert len(set(made.values())) == len(made)   # no id handed out twice
    client = app.test_client()
    for ext, cid in made.items():
        assert client.get(f"{REST}/customer/eid:{ext}", headers=AUTH).get_json()["id"] == cid
