"""Order rules, CDC and platform events on the bus, outbound messages, composite, Apex REST."""
from __future__ import annotations

import re

import pytest
import requests
from flask import Flask, request
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from simulators.salesforce.state.apex import ApexResponse

from .conftest import make_order


def listener(ack=True, fail_first=0):
    app = Flask("listener")
    app.received = []
    state = {"fail": fail_first}

    @app.post("/om")
    def om():
        app.received.append(request.get_data(as_text=True))
        if state["fail"] > 0:
            state["fail"] -= 1
            return "busy", 503
        body = "<Ack>true</Ack>" if ack else "<Ack>false</Ack>"
        return (f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
                f'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">{body}'
                f'</notificationsResponse></soapenv:Body></soapenv:Envelope>'), 200, {"Content-Type": "text/xml"}
    return app


def test_order_activation_rules_and_rollup(sf):
    order, _ = make_order(sf, skus=(("HW-ROUTER", 3),))
    assert sf.Order.get(order)["TotalAmount"] == 300.0
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Order.update(order, {"Status": "Activated", "Description": "and more"})
    assert exc.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    sf.Order.update(order, {"Status": "Activated"})
    rec = sf.Order.get(order)
    assert rec["StatusCode"] == "Activated" and rec["ActivatedDate"] is not None
    sf.Order.update(order, {"ERP_Sales_Order_Id__c": "SO-1", "Tax_Status__c": "Estimated"})  # custom fields OK
    pbe = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = 'FREIGHT'")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest):
        sf.OrderItem.create({"OrderId": order, "PricebookEntryId": pbe, "Quantity": 1, "UnitPrice": 25})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Order.create({"AccountId": rec["AccountId"], "EffectiveDate": "2026-01-05", "Status": "Activated"})
    assert exc.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_empty_order_cannot_activate(sf):
    order, _ = make_order(sf, skus=())
    with pytest.raises(SalesforceMalformedRequest):
        sf.Order.update(order, {"Status": "Activated"})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Order.update(order, {"Status": "Shipped"})
    assert exc.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_cdc_events_with_replay_ids_and_changed_fields(sf, ctl):
    order, _ = make_order(sf, activate=True)
    bus = ctl.get("/salesforce/eventbus", channel="/data/OrderChangeEvent")
    events = bus["events"]
    kinds = [e["payload"]["ChangeEventHeader"]["changeType"] for e in events]
    assert kinds[0] == "CREATE" and kinds[-1] == "UPDATE"
    last = events[-1]["payload"]
    assert "Status" in last["ChangeEventHeader"]["changedFields"] and last["Status"] == "Activated"
    assert last["ChangeEventHeader"]["recordIds"] == [order]
    replay = [e["event"]["replayId"] for e in events]
    assert replay == sorted(replay)
    after = ctl.get("/salesforce/eventbus", channel="/data/OrderChangeEvent", after=replay[-2])["events"]
    assert [e["event"]["replayId"] for e in after] == [replay[-1]]


def test_eventbus_duplicate_and_reorder_faults(sf, ctl):
    ctl.post("/salesforce/eventbus/faults", {"channel": "/data/AccountChangeEvent", "duplicate": True, "times": 1})
    a = sf.Account.create({"Name": "Dup"})["id"]
    ev = ctl.get("/salesforce/eventbus", channel="/data/AccountChangeEvent")["events"]
    assert [e["payload"]["ChangeEventHeader"]["recordIds"][0] for e in ev] == [a, a]
    assert ev[0]["event"]["EventUuid"] == ev[1]["event"]["EventUuid"]
    ctl.post("/salesforce/eventbus/faults", {"channel": "/data/AccountChangeEvent", "reorder": True, "times": 1})
    b = sf.Account.create({"Name": "First"})["id"]
    c = sf.Account.create({"Name": "Second"})["id"]
    ev = ctl.get("/salesforce/eventbus", channel="/data/AccountChangeEvent", after=ev[-1]["event"]["replayId"])["events"]
    assert [e["payload"]["ChangeEventHeader"]["recordIds"][0] for e in ev] == [c, b]


def test_platform_event_publish(sf, ctl):
    res = sf.Payment_Received__e.create({"Invoice_Id__c": "INV-1", "Amount__c": 12.5})
    assert res["success"] and res["errors"][0]["statusCode"] == "OPERATION_ENQUEUED"
    ev = ctl.get("/salesforce/eventbus", channel="/event/Payment_Received__e")["events"]
    assert ev[0]["payload"]["Invoice_Id__c"] == "INV-1" and ev[0]["payload"]["Amount__c"] == 12.5


def test_outbound_message_on_activation_retries_until_ack(harness, sf, ctl):
    app = listener(fail_first=2)
    harness.add_app("listener", app, ["listener.o2c.test"])
    om = ctl.post("/salesforce/outbound-messages", {"url": "https://listener.o2c.test/om"})
    order, _ = make_order(sf)
    assert app.received == []  # only on activation
    sf.Order.update(order, {"Status": "Activated"})
    harness.settle()
    assert len(app.received) == 1
    harness.advance("1m")
    harness.advance("2m")
    assert len(app.received) == 3
    body = app.received[-1]
    assert '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">' in body
    assert f"<sf:Id>{order}</sf:Id>" in body and "<sf:Status>Activated</sf:Status>" in body
    assert f"<ActionId>{om['id']}</ActionId>" in body
    d = ctl.get("/salesforce/outbound-messages")["deliveries"][0]
    assert d["status"] == "delivered" and [a["status"] for a in d["attempts"]] == [503, 503, 200]
    sf.Order.update(order, {"Status": "Cancelled"})
    harness.settle()
    assert "<sf:Status>Cancelled</sf:Status>" in app.received[-1]


def test_outbound_message_without_ack_is_retried(harness, sf, ctl):
    app = listener(ack=False)
    harness.add_app("listener", app, ["listener.o2c.test"])
    ctl.post("/salesforce/outbound-messages", {"url": "https://listener.o2c.test/om"})
    make_order(sf, activate=True)
    harness.settle()
    d = ctl.get("/salesforce/outbound-messages")["deliveries"][0]
    assert d["status"] == "pending" and "without <Ack>true</Ack>" in d["attempts"][0]["error"]


def test_composite_with_references_and_all_or_none(sf):
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    body = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact", "referenceId": "c1",
         "body": {"LastName": "Composite", "AccountId": acct}},
        {"method": "GET", "url": "/services/data/v59.0/sobjects/Contact/@{c1.id}", "referenceId": "c2"},
    ]}
    out = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in out] == [201, 200]
    assert out[1]["body"]["LastName"] == "Composite"
    body["compositeRequest"][1] = {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact",
                                   "referenceId": "bad", "body": {"FirstName": "no last name"}}
    out = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert out[0]["httpStatusCode"] == 400 and out[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert out[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Contact WHERE LastName = 'Composite'")["totalSize"] == 1  # rolled back


def test_sobject_collections(sf):
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Account"}, "Name": "Coll 1"},
        {"attributes": {"type": "Account"}, "BillingCity": "no name"}]})
    assert res[0]["success"] and not res[1]["success"]
    assert res[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": [
        {"attributes": {"type": "Account"}, "Name": "Coll 2"},
        {"attributes": {"type": "Account"}, "BillingCity": "no name"}]})
    assert res[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Coll 2'")["totalSize"] == 0
    up = sf.restful("composite/sobjects/Account/Customer_Key__c", method="PATCH", json={"records": [
        {"attributes": {"type": "Account"}, "Customer_Key__c": "ACME-IRVINE", "Phone": "555"},
        {"attributes": {"type": "Account"}, "Customer_Key__c": "BRAND-NEW", "Name": "Brand New"}]})
    assert [r["created"] for r in up] == [False, True]


def test_apex_rest_builtin_and_registered_public_site(harness, sf):
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    sf.blng__Invoice__c.create({"blng__Account__c": acct, "ERP_Invoice_Id__c": "INV-9", "blng__TotalAmount__c": 10,
                                "blng__InvoiceStatus__c": "Posted"})
    got = sf.apexecute("o2c/invoices/INV-9", method="GET")
    assert got["status"] == "Posted" and got["balance"] == 10.0
    with pytest.raises(SalesforceResourceNotFound):
        sf.apexecute("o2c/nothing/here", method="GET")
    org = harness.apps["salesforce"].extensions["salesforce"]

    @org.apex.route("/hooks/payment", methods=["POST"], site="payments")
    def hook(req, org_):
        org_.db.update("blng__Invoice__c", org_.db.by_external(org_.registry.objects["blng__Invoice__c"],
                                                               "ERP_Invoice_Id__c", req.json()["invoice"])[0]["Id"],
                       {"blng__PaymentStatus__c": "Paid", "blng__Balance__c": 0})
        return ApexResponse(200, {"ok": True})

    r = requests.post("https://o2c.my.salesforce.com/payments/services/apexrest/hooks/payment",
                      json={"invoice": "INV-9"})  # no session: a public Site
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert sf.apexecute("o2c/invoices/INV-9", method="GET")["paymentStatus"] == "Paid"
    r = requests.get("https://o2c.my.salesforce.com/services/apexrest/o2c/invoices/INV-9")
    assert r.status_code == 401 and r.json()[0]["errorCode"] == "INVALID_SESSION_ID"
