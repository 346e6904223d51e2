"""The integration's Outbound Message receiver: only the connected org is heard, and a message
names records, nothing more (the order is re-read from Salesforce before anything is done)."""
import requests

from simulators.salesforce.state.auth import ORG_ID

FOREIGN_ORG = "00D5g00000F0REIGNA"


def outbound(org_id: str | None, order_id: str, status: str) -> bytes:
    """An Outbound Message shaped like Salesforce's (notifications, sf: fields), with any values."""
    org = f"<OrganizationId>{org_id}</OrganizationId>" if org_id else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
        'envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f'{org}<ActionId>04k5g0000000001AAA</ActionId><SessionId xsi:nil="true"/>'
        '<Notification><Id>04l5g0000000999AAA</Id><sObject xsi:type="sf:Order" '
        f'xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>{order_id}</sf:Id>'
        f'<sf:Status>{status}</sf:Status></sObject></Notification>'
        '</notifications></soapenv:Body></soapenv:Envelope>').encode()


def post(world, body: bytes) -> requests.Response:
    return requests.post(world.h.url("integration") + "/salesforce/outbound", data=body,
                         headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})


def published(world):
    key = world.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    return key


def test_forged_cancel_for_an_activated_order_changes_nothing(world):
    key = published(world)
    order = world.order(key)
    inv = world.erp_invoice(key)
    resp = post(world, outbound(ORG_ID, order["Id"], "Cancelled"))   # right org, false status
    assert resp.status_code == 200 and b"<Ack>true</Ack>" in resp.content
    world.h.advance("1h")
    assert world.order(key)["Status"] == "Activated"
    assert world.stripe_invoice(key)["status"] == "open"
    assert world.tax_document(inv["tranId"])["status"] == "Committed"
    assert world.mirror(key)["blng__InvoiceStatus__c"] == "Posted"
    assert world.order(key)["Billing_Status__c"] == "Invoiced"
    report = world.reconcile()
    assert report.ok, report.table()
    # a real cancellation in Salesforce still goes through
    world.cancel(key)
    world.h.advance("1h")
    assert world.stripe_invoice(key)["status"] == "void"
    assert world.tax_document(inv["tranId"])["status"] == "Cancelled"


def test_message_from_another_org_is_refused_and_counted(world):
    key = published(world)
    order_id = world.order(key)["Id"]
    before = world.integration_status()
    for body in (outbound(FOREIGN_ORG, order_id, "Cancelled"), outbound(None, order_id, "Cancelled")):
        resp = post(world, body)
        assert resp.status_code == 400
        assert b"<soapenv:Fault>" in resp.content and b"OrganizationId" in resp.content
    after = world.integration_status()
    assert after["stats"]["notifications_refused"] == before["stats"]["notifications_refused"] + 2
    assert after["notifications"] == before["notifications"] and after["pending"] == 0
    world.h.advance("1h")
    assert world.stripe_invoice(key)["status"] == "open"


def test_same_org_in_its_18_character_form_or_15_is_heard(world):
    key = published(world)
    order_id = world.order(key)["Id"]
    n = world.integration_status()["notifications"]
    assert post(world, outbound(ORG_ID, order_id, "Activated")).status_code == 200
    assert post(world, outbound(ORG_ID[:15], order_id, "Activated")).status_code == 200
    assert world.integration_status()["notifications"] == n + 2
    world.h.advance("1h")   # re-reading an order already billed bills nothing twice
    assert world.erp_invoice_count(key) == 1 and len(world.mirrors(key)) == 1
    assert world.reconcile().ok
