"""Reads of a stored transaction answer encoded JSON kept until the transaction store changes
(``simulators.avalara.wire``): every change path shows in the next read, ``$include`` variants are
kept apart, and nothing encoded while a writer holds the store's lock is kept."""
import json
import threading
from decimal import Decimal

from simulators.avalara.app import create_app
from simulators.avalara.wire import AnswerCache, encode
from simulators.core.jsonutil import dumps
from simulators.core.store import CountingRLock

from .conftest import irvine


def fetch(avatax, code="INV-1", **params):
    resp = avatax.get_transaction_by_code("DEFAULT", code, params or None)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_every_change_shows_in_the_next_read(avatax):
    assert avatax.create_transaction(irvine(100)).status_code == 201
    assert fetch(avatax)["status"] == "Saved" and fetch(avatax)["status"] == "Saved"   # the second from the cache
    avatax.commit_transaction("DEFAULT", "INV-1", {"commit": True})
    assert fetch(avatax)["status"] == "Committed"
    avatax.lock_transaction("DEFAULT", "INV-1", {"isLocked": True})
    assert fetch(avatax)["locked"] is True
    avatax.lock_transaction("DEFAULT", "INV-1", {"isLocked": False})
    assert fetch(avatax)["locked"] is False
    adjusted = avatax.adjust_transaction("DEFAULT", "INV-1", {
        "adjustmentReason": "PriceAdjusted", "newTransaction": irvine(200, commit=True)}).json()
    got = fetch(avatax)
    assert got["version"] == 2 and got["totalAmount"] == 200 and got["id"] == adjusted["id"]
    by_id = avatax.get_transaction_by_id(adjusted["id"]).json()
    assert by_id["totalAmount"] == 200
    avatax.void_transaction("DEFAULT", "INV-1", {"code": "DocVoided"})
    assert fetch(avatax)["status"] == "Cancelled"
    assert avatax.get_transaction_by_id(adjusted["id"]).json()["status"] == "Cancelled"
    assert avatax.change_transaction_code("DEFAULT", "INV-1", {"newCode": "INV-2"}).status_code == 200
    assert avatax.get_transaction_by_code("DEFAULT", "INV-1").status_code == 404
    assert fetch(avatax, "INV-2")["code"] == "INV-2"


def test_a_reset_drops_what_was_kept(harness, avatax):
    avatax.create_transaction(irvine(100))
    assert fetch(avatax)["totalTax"] == 7.75
    harness.reset()
    assert avatax.get_transaction_by_code("DEFAULT", "INV-1").status_code == 404
    avatax.create_transaction(irvine(300))
    assert fetch(avatax)["totalAmount"] == 300


def test_include_variants_are_kept_apart(avatax):
    avatax.create_transaction(irvine(100))
    full = fetch(avatax)
    summary_only = fetch(avatax, **{"$include": "SummaryOnly"})
    lines_only = fetch(avatax, **{"$include": "LinesOnly"})
    assert full["lines"][0]["details"] and full["addresses"] and full["summary"]
    assert "lines" not in summary_only and "addresses" not in summary_only
    assert "details" not in lines_only["lines"][0] and "summary" not in lines_only
    assert fetch(avatax) == full


def test_an_answer_encoded_while_a_writer_holds_the_lock_is_not_kept():
    lock = CountingRLock()
    cache = AnswerCache(lock)
    state = {"status": "Saved"}
    inside, done = threading.Event(), threading.Event()

    def writer():
        with lock:
            state["status"] = "half-written"
            inside.set()
            done.wait(10)
            state["status"] = "Committed"

    t = threading.Thread(target=writer)
    t.start()
    assert inside.wait(10)
    assert json.loads(cache.get("k", lambda: dict(state)))["status"] == "half-written"
    done.set()
    t.join(10)
    assert json.loads(cache.get("k", lambda: dict(state)))["status"] == "Committed"
    # kept now: a read with no change in between answers the same bytes without building
    assert json.loads(cache.get("k", lambda: {"status": "not rebuilt"}))["status"] == "Committed"
    with lock:
        state["status"] = "Cancelled"
    assert json.loads(cache.get("k", lambda: dict(state)))["status"] == "Cancelled"


def test_a_writer_coming_in_while_encoding_keeps_nothing():
    lock = CountingRLock()
    cache = AnswerCache(lock)

    def build():
        with lock:   # a writer enters and leaves while the answer is being built
            pass
        return {"n": 1}

    cache.get("k", build)
    assert json.loads(cache.get("k", lambda: {"n": 2})) == {"n": 2}


def test_encode_gives_the_values_jsonutil_gives():
    payload = {"tax": Decimal("7.75"), "rate": Decimal("0.0775"), "zero": Decimal("0.00"), "big": 2 ** 70,
               "name": "Zürich", "lone": "\ud800", "nested": [{"amount": Decimal("-1234567.89")}], "none": None}
    assert json.loads(encode(payload)) == json.loads(dumps(payload))
    small = {k: v for k, v in payload.items() if k not in ("big", "lone")}
    assert encode(small).startswith(b'{"tax":7.75,')   # orjson's compact encoding
    # kept conversions give every equal Decimal one number (a zero is 0.0 whatever its sign, as .NET's
    # decimal prints it), and never lose NaN to null
    assert encode([Decimal("0.00"), Decimal("-0.00"), Decimal("0.00")]) == b"[0.0,0.0,0.0]"
    assert encode([Decimal("7.75"), Decimal("7.750")]) == b"[7.75,7.75]"
    assert json.loads(encode({"n": Decimal("NaN")}), parse_constant=str) == {"n": "NaN"}


def test_kept_answers_are_bounded():
    lock = CountingRLock()
    cache = AnswerCache(lock, size=4)
    for i in range(10):
        cache.get(i, lambda: {"i": i})
    assert len(cache) <= 4


def test_live_app_answers_a_kept_read_byte_for_byte_until_a_change():
    app = create_app(validation="strict")
    client = app.test_client()
    auth = {"Authorization": "Basic MTIzNDU2Om8yYy1saWNlbnNlLWtleQ=="}
    made = client.post("/api/v2/transactions/create", json=irvine(100), headers=auth)
    assert made.status_code == 201
    first = client.get("/api/v2/companies/DEFAULT/transactions/INV-1", headers=auth)
    second = client.get("/api/v2/companies/DEFAULT/transactions/INV-1", headers=auth)
    assert first.status_code == 200 and first.data == second.data
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    client.post("/api/v2/companies/DEFAULT/transactions/INV-1/commit", json={"commit": True}, headers=auth)
    third = client.get("/api/v2/companies/DEFAULT/transactions/INV-1", headers=auth)
    assert json.loads(third.data)["status"] == "Committed"
