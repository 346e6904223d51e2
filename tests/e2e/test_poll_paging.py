"""Polling reads /v1/events as plain JSON, page by page: the walk gives exactly the events the
official SDK's own auto-paging gives (the oracle), oldest first, across several pages, both from
the watermark (``created``) and after a cursor (``ending_before``)."""
from __future__ import annotations

from simulators.integration.payments import EVENTS

from .conftest import make


def paid_invoices(h, n: int) -> None:
    """``n`` invoices paid out of band: each one emits an invoice.paid event (and events of types the
    integration does not read, e.g. invoice.finalized, which the walk must leave out)."""
    gw = h.apps["integration"].extensions["integration"].gw
    cus = gw.post("/v1/customers", name="Paging Co")
    for i in range(n):
        inv = gw.post("/v1/invoices", customer=cus["id"], auto_advance=False)
        gw.post("/v1/invoiceitems", customer=cus["id"], invoice=inv["id"], amount=100 + i, currency="usd")
        gw.post(f"/v1/invoices/{inv['id']}/finalize")
        gw.post(f"/v1/invoices/{inv['id']}/pay", paid_out_of_band=True)


def sdk_walk(integ, params: dict) -> list[str]:
    return [e.id for e in integ.gw.call(lambda c: list(c.v1.events.list(params=params).auto_paging_iter()))]


def test_the_plain_json_walk_equals_the_sdks_auto_paging():
    h, o2c = make("polling", poll_interval=86400)   # no scheduled poll gets in the way
    try:
        integ = h.apps["integration"].extensions["integration"]
        pay = integ.payments
        paid_invoices(h, 130)                        # well over one page of 100 events
        pay.data["poll_watermark"] = 0
        walked = pay._events_since(None)
        assert len(walked) > 100   # more than one page
        created = [e["created"] for e in walked]
        assert created == sorted(created), "oldest first"
        assert [e["id"] for e in walked] == sdk_walk(integ, {"limit": 100, "types": EVENTS,
                                                             "created": {"gte": 0}})[::-1]
        cursor = walked[20]["id"]
        after = pay._events_since(cursor)
        assert [e["id"] for e in after] == [e["id"] for e in walked[21:]]
        assert [e["id"] for e in after] == sdk_walk(integ, {"limit": 100, "types": EVENTS, "ending_before": cursor})
    finally:
        h.stop()
