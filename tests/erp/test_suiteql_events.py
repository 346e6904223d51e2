"""SuiteQL polling (watermark, paging, errors), the harness event feed, and a live smoke run."""
from __future__ import annotations

import json

import requests

from flask import Flask, request

from simulators.erp.state.events import SIGNATURE_HEADER, sign

from .conftest import Erp, error_code


def _invoices(erp, n):
    erp.customer()
    return [erp.invoice(erp.order(ext=f"801-{i}")) for i in range(n)]


def test_watermark_query_and_paging(erp_harness, erp):
    first = _invoices(erp, 3)
    erp_harness.advance("1h")
    later = [erp.invoice(erp.order(ext="801-late"))]
    q = ("SELECT id, tranid, externalid, foreignamountremaining, BUILTIN.DF(status) AS status, "
         "TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified FROM transaction "
         "WHERE type = 'CustInvc' AND lastmodifieddate > TO_TIMESTAMP('2026-01-05 09:30:00', "
         "'YYYY-MM-DD HH24:MI:SS') ORDER BY lastmodifieddate, id")
    items = erp.sql(q).json()["items"]
    assert [i["id"] for i in items] == later and items[0]["modified"] == "2026-01-05 10:00:00"
    page = erp.sql("SELECT id FROM transaction WHERE type = 'CustInvc' ORDER BY id", limit=2, offset=0).json()
    assert page["hasMore"] is True and page["count"] == 2 and page["totalResults"] == 4
    assert any(link["rel"] == "next" for link in page["links"])
    page2 = erp.sql("SELECT id FROM transaction WHERE type = 'CustInvc' ORDER BY id", limit=2, offset=2).json()
    assert page2["hasMore"] is False and [i["id"] for i in page["items"] + page2["items"]] == first + later
    by_ext = erp.sql("SELECT id FROM transaction WHERE externalid IS NULL AND type = 'CustInvc'").json()
    assert by_ext["totalResults"] == 4
    so = erp.sql("SELECT id, BUILTIN.DF(entity) AS customer FROM transaction WHERE externalid = '801-late'").json()
    assert so["items"][0]["customer"] == "Acme Corp"


def test_payment_polling_by_external_id(erp):
    inv = _invoices(erp, 1)[0]
    erp.create("/customerPayment", {"customer": {"externalId": "ACC-1"}, "externalId": "ch_9", "payment": 50,
                                    "apply": {"items": [{"doc": {"id": inv}, "apply": True, "amount": 50}]}})
    r = erp.sql("SELECT t.id, t.foreigntotal FROM transaction t WHERE t.type = 'CustPymt' "
                "AND t.externalid IN ('ch_9', 'ch_x')")
    assert [i["foreigntotal"] for i in r.json()["items"]] == [50]


def test_suiteql_errors(erp):
    for q in ("SELECT id FROM transaction GROUP BY", "DELETE FROM transaction", "UPDATE item SET itemid = 'x'",
              "SELECT id FROM nosuchtable", "SELECT nosuchcolumn FROM item", "SELECT sqlite_version() FROM item",
              "SELECT id FROM item; SELECT id FROM customer", "SELECT id FROM item WHERE ROWNUM > 5",
              "SELECT id FROM transaction WHERE trandate > TO_DATE('2026-13-45', 'YYYY-MM-DD')"):
        r = erp.sql(q)
        assert r.status_code == 400 and error_code(r) == "INVALID_PARAMETER", q
        assert r.json()["o:errorDetails"][0]["detail"].startswith("Invalid search query")
    assert erp.sql("SELECT id FROM item", limit=1001).status_code == 400
    r = erp.http.post(erp.base + "/services/rest/query/v1/suiteql", json={"q": "SELECT id FROM item"})
    assert r.status_code == 400                              # Prefer: transient is required
    assert erp.sql("SELECT itemid FROM item WHERE itemid LIKE 'SAAS%'").json()["items"] == \
        [{"links": [], "itemid": "SAAS-PLATFORM-12"}]


def test_event_feed_signed_deliveries(erp_harness, erp):
    sub = erp.control.post("/erp/subscriptions", {"url": "https://hooks.o2c.test/erp",
                                                  "events": ["invoice.created", "customerPayment.created"]})
    got = []
    receiver = Flask("receiver")

    @receiver.post("/erp")
    def receive():
        got.append((request.get_data(), {SIGNATURE_HEADER: request.headers.get(SIGNATURE_HEADER)}))
        return "ok"

    erp_harness.add_app("receiver", receiver, ["hooks.o2c.test"])
    inv = _invoices(erp, 1)[0]
    erp_harness.wait_until(lambda: got, what="invoice.created delivery")
    assert len(got) == 1
    body, headers = got[0]
    event = json.loads(body)
    assert event["type"] == "invoice.created" and event["data"]["id"] == inv
    assert event["data"]["status"]["refName"] == "Open"
    ts = headers[SIGNATURE_HEADER].split(",")[0][2:]
    assert headers[SIGNATURE_HEADER] == sign(sub["secret"], body, int(ts))
    assert sign("wrong", body, int(ts)) != headers[SIGNATURE_HEADER]


def test_live_round_trip(live):
    erp = Erp(live.url("erp"), live.control("erp"))
    cid = erp.customer()
    so = erp.order()
    r = erp.post(f"/salesOrder/{so}/!transform/invoice", {"tranDate": "2025-01-15"})
    assert r.status_code == 204 and r.headers["Location"].startswith(live.url("erp"))
    inv = r.headers["Location"].rsplit("/", 1)[1]
    erp.create("/customerPayment", {"customer": {"id": cid}, "externalId": "ch_live", "payment": 215.5,
                                    "apply": {"items": [{"doc": {"id": inv}, "apply": True, "amount": 215.5}]}})
    assert erp.get(f"/invoice/{inv}").json()["status"]["refName"] == "Paid In Full"
    assert erp.post("/customerPayment", {"customer": {"id": cid}, "externalId": "ch_live", "payment": 1}).status_code == 400
    assert erp.sql("SELECT id FROM transaction WHERE type = 'CustPymt'").json()["totalResults"] == 1
    assert error_code(requests.get(erp.url("/customer"), headers={"Authorization": "Bearer x"})) == \
        "INVALID_LOGIN"
