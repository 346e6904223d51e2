"""The integration reads what it has just read once: a job hands the records it has read to the next
step of its lane (first attempt only), an invoice made by the bill step has its tax committed without
a look-up, and the mirror carries the committed document's jurisdictions all the same."""
from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from simulators.clients import Retryable
from simulators.core.clock import SimClock
from simulators.core.store import Store
from simulators.integration.app import _state
from simulators.integration.config import Config
from simulators.integration.flows import jurisdictions
from simulators.integration.jobs import WorkQueue


def test_a_carried_record_reaches_the_first_attempt_only_and_a_retry_reads_afresh():
    clock = SimClock(mode="frozen")
    q = WorkQueue(SimpleNamespace(clock=clock, now=clock.now, name="integration"), Config(), Store(_state))
    seen = []

    @q.handler("bill")
    def bill(payload):
        seen.append(q.carried())
        if len(seen) == 1:
            raise Retryable("ERP busy")

    q.submit("bill", "801A", {"order_id": "801A"}, carry={"order": {"Id": "801A"}})
    clock.advance(3600)
    assert seen == [{"order": {"Id": "801A"}}, None]
    assert q.carried() is None and q.data["stats"]["done"] == 1


def test_one_lifecycle_commits_its_tax_without_a_look_up_and_the_mirror_shows_its_jurisdictions(world):
    key = world.place_order("WINDY-CHICAGO", [("HW-ROUTER", 2), ("SUPPORT-12", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    avatax = Counter(e["operation"] for e in world.h.control("avalara").journal())
    assert avatax == {"transactions.create": 2}, avatax   # the estimate and the committed invoice
    mirror = world.sf.query("SELECT Tax_Jurisdictions__c, AvaTax_Document_Code__c FROM blng__Invoice__c "
                            f"WHERE Id = '{world.mirror(key)['Id']}'")[0]
    committed = world.tax_document(mirror["AvaTax_Document_Code__c"])
    assert committed["status"] == "Committed"
    assert mirror["Tax_Jurisdictions__c"] and mirror["Tax_Jurisdictions__c"] == jurisdictions(committed)
    stripe = Counter(e["operation"] for e in world.h.control("stripe").journal())
    assert stripe["invoices.add_lines"] == 1 and stripe["invoiceitems.create"] == 0
    world.pay(key)
    world.h.settle()
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Paid"
    assert world.reconcile().ok


def test_one_lifecycle_looks_up_nothing_it_has_just_made_in_the_erp(world):
    """The sales order is created without a look-up (its external id is unique), the bill step looks for
    no invoice of a sales order the order step has just made, and the endpoint is not sent the
    ``invoice.finalized`` of every invoice the integration finalizes itself."""
    key = world.place_order("WINDY-CHICAGO", [("HW-ROUTER", 2), ("SUPPORT-12", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    world.pay(key)
    world.h.settle()
    erp = Counter(e["operation"] for e in world.h.control("erp").journal())
    assert erp == {"customer.upsert": 1, "salesOrder.create": 1, "salesOrder.transform.invoice": 1,
                   "invoice.get": 2, "invoice.update": 1, "customerPayment.create": 1}, erp
    integ = world.h.apps["integration"].extensions["integration"]
    endpoint = integ.gw.read(f"/v1/webhook_endpoints/{integ.store.data['webhook_endpoint']}")
    assert "invoice.finalized" not in endpoint["enabled_events"] and "invoice.paid" in endpoint["enabled_events"]
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Paid"
    assert world.reconcile().ok


def test_a_re_activated_order_finds_its_sales_order_by_the_refused_create(world):
    """The create-first sales order: a second activation of the same order is refused as a duplicate
    (``DUP_RCRD``), read, and nothing is doubled."""
    key = world.place_order("WINDY-CHICAGO", [("HW-ROUTER", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    integ = world.h.apps["integration"].extensions["integration"]
    order_id = world.order(key)["Id"]
    integ.queue.submit("order", order_id, {"order_id": order_id})   # as a second Outbound Message would
    world.h.settle()
    erp = Counter(e["operation"] for e in world.h.control("erp").journal())
    assert erp["salesOrder.create"] == 2 and erp["salesOrder.get"] == 1 and erp["salesOrder.transform.invoice"] == 1
    assert integ.store.data["stats"]["dead"] == 0
    assert world.reconcile().ok
