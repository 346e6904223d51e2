"""Stripe fake under concurrent requests: customers, invoices and payments created from many
threads are all kept; one Idempotency-Key used from N threads at once yields one object (the
others replay it, or get 409 ``idempotency_key_in_use`` while it runs and then the replay)."""
from __future__ import annotations

from collections import Counter

from .conftest import run_threads

AUTH = {"Authorization": "Bearer sk_test_o2c"}
THREADS = 12


def _post(client, path: str, data: dict, **headers):
    return client.post(path, data=data, headers={**AUTH, **headers})


def test_one_idempotency_key_from_many_threads_is_one_customer(app_of):
    app = app_of("stripe")

    def work(t: int):
        client, seen = app.test_client(), []
        for _ in range(50):   # a 409 means "in progress": retry, as the SDK does
            r = _post(client, "/v1/customers", {"email": "race@o2c.test", "name": "Race"}, **{"Idempotency-Key": "k-1"})
            seen.append(r.status_code)
            if r.status_code != 409:
                break
        assert r.status_code == 200, (seen, r.get_data(as_text=True))
        return r.get_json()["id"], r.headers.get("Idempotent-Replayed")

    answers = run_threads(THREADS, work)
    assert len({cid for cid, _ in answers}) == 1
    assert sorted(str(rep) for _, rep in answers) == ["None"] + ["true"] * (THREADS - 1)
    listed = app.test_client().get("/v1/customers", query_string={"email": "race@o2c.test"}, headers=AUTH)
    assert [c["id"] for c in listed.get_json()["data"]] == [answers[0][0]]


def test_concurrent_customers_invoices_and_payments_are_all_kept(app_of):
    app = app_of("stripe")

    def work(t: int):
        client, statuses, made = app.test_client(), Counter(), []
        for i in range(3):
            cus = _post(client, "/v1/customers", {"email": f"c{t}-{i}@o2c.test"})
            statuses[cus.status_code] += 1
            cid = cus.get_json()["id"]
            ii = _post(client, "/v1/invoiceitems", {"customer": cid, "amount": "1000", "currency": "usd"})
            inv = _post(client, "/v1/invoices", {"customer": cid, "pending_invoice_items_behavior": "include"},
                        **{"Idempotency-Key": f"inv-{t}-{i}"})
            iid = inv.get_json()["id"]
            fin = _post(client, f"/v1/invoices/{iid}/finalize", {})
            paid = _post(client, f"/v1/invoices/{iid}/pay", {"payment_method": "pm_card_visa"})
            for r in (ii, inv, fin, paid):
                statuses[r.status_code] += 1
            assert paid.get_json()["status"] == "paid", paid.get_data(as_text=True)
            made.append((cid, iid))
        return made, statuses

    results = run_threads(THREADS, work)
    statuses = sum((s for _, s in results), Counter())
    assert not [s for s in statuses if s >= 500], statuses
    made = [m for per, _ in results for m in per]
    client = app.test_client()
    for cid, iid in made:
        inv = client.get(f"/v1/invoices/{iid}", headers=AUTH).get_json()
        assert inv["customer"] == cid and inv["status"] == "paid" and inv["amount_paid"] == 1000
    customers = client.get("/v1/customers", query_string={"limit": 100}, headers=AUTH).get_json()
    ids = set()
    while True:
        ids |= {c["id"] for c in customers["data"]}
        if not customers["has_more"]:
            break
        customers = client.get("/v1/customers", headers=AUTH, query_string={
            "limit": 100, "starting_after": customers["data"][-1]["id"]}).get_json()
    assert {cid for cid, _ in made} <= ids and len(made) == THREADS * 3
