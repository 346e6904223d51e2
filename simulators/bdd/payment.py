"""Payment: hosted link, card paid, paid in parts, declines with reasons, retry, refunds, disputes."""
import re

from pytest_bdd import given, parsers, then, when

from .common import CARD_NAMES
from .world import money



@when("the customer opens the payment link on the Salesforce invoice")
def open_link(world):
    world.last = world.o2c.hosted_page(world.current)


@then(parsers.parse("the payment page shows {amount} due and offers to pay it by card"))
def page_shows(world, amount):
    page = world.last
    assert page.status_code == 200, page.status_code
    text = page.text
    assert f"Pay {money(amount)}" in text and 'name="card"' in text
    shown = re.sub(r"[^0-9.]", "", re.search(r"id=\"remaining\">([^<]+)<", text).group(1))
    assert money(shown) == money(amount), shown


@then("the payment is accepted")
def accepted(world):
    assert "error" not in world.last and world.last["invoice"]["status"] == "paid", world.last


@then(parsers.parse('the payment is declined with reason "{code}" and the message "{message}"'))
def declined(world, code, message):
    err = world.last.get("error")
    assert err and err["type"] == "card_error", world.last
    assert err["decline_code"] == code and err["message"] == message, err


@then(parsers.parse("Salesforce records one payment of {amount} against the invoice"))
def sf_payment(world, amount):
    pays = world.o2c.payments(world.current)
    assert len(pays) == 1 and money(pays[0]["blng__Amount__c"]) == money(amount), pays


@then(parsers.parse("the invoice shows Refunded in Salesforce"))
def refunded(world):
    world.o2c.h.wait_until(lambda: world.o2c.mirror(world.current)["blng__PaymentStatus__c"] == "Refunded",
                           what="the refund to show in Salesforce")


@then(parsers.parse("the tax engine holds a return document with tax of {tax}"))
def return_doc(world, tax):
    code = world.o2c.mirror(world.current)["AvaTax_Document_Code__c"]
    charge = world.o2c.charge(world.current)
    doc = world.o2c.tax_document(f"{code}-R{charge['amount_refunded']}", "ReturnInvoice")
    assert doc and doc["status"] == "Committed" and money(doc["totalTax"]) == money(tax), doc


@then(parsers.parse('the payment processor shows a dispute for "{reason}"'))
def dispute_at_stripe(world, reason):
    ds = world.o2c.disputes(world.current)
    assert ds and ds[0]["reason"] == reason, ds


@then("the Salesforce invoice is flagged as disputed")
def flagged(world):
    world.o2c.h.wait_until(lambda: world.o2c.mirror(world.current)["Dispute_Status__c"], what="the dispute flag")


# ---- paying in parts ---------------------------------------------------------------------------------
@when(parsers.parse("the customer pays part of the invoice with {card}:"))
@given(parsers.parse("the customer pays part of the invoice with {card}:"))
def pays_part(world, card, datatable):
    amount = money(datatable[1][0])
    world.last = world.o2c.pay(world.current, CARD_NAMES.get(card, card), amount)


@when(parsers.parse("the customer pays the rest of the invoice with {card}"))
def pays_rest(world, card):
    world.last = world.o2c.pay(world.current, CARD_NAMES.get(card, card))


@then("the part payment is accepted and the invoice stays open")
def part_accepted(world):
    assert "error" not in world.last, world.last
    inv = world.last["invoice"]
    assert inv["status"] == "open" and 0 < inv["amount_paid"] < inv["total"], inv


def _amounts_everywhere(world):
    o2c = world.o2c
    si = o2c.stripe_invoice(world.current)
    erp = o2c.erp_invoice(world.current)
    mirror = o2c.mirror(world.current)
    sf_paid = sum((money(p["blng__Amount__c"]) for p in o2c.payments(world.current)), money(0))
    return {"payment processor": (money(si["amount_paid"] / 100), money(si["amount_remaining"] / 100)),
            "ERP": (money(erp["amountPaid"]), money(erp["amountRemaining"])),
            "Salesforce": (sf_paid, money(mirror["blng__Balance__c"]))}


@then("the invoice's amounts agree in the payment processor, the ERP and Salesforce:")
def amounts_agree(world, datatable):
    want = (money(datatable[1][0]), money(datatable[1][1]))
    got = world.o2c.h.wait_until(lambda: (a := _amounts_everywhere(world)) and all(v == want for v in a.values()) and a,
                                 what=f"paid {want[0]} and {want[1]} still to pay in every system")
    assert all(v == want for v in got.values()), got


@then("Salesforce records these payments against the invoice:")
def sf_payments(world, datatable):
    pays = world.o2c.payments(world.current)
    assert sorted(money(p["blng__Amount__c"]) for p in pays) == sorted(money(r[0]) for r in datatable[1:]), pays
    assert len({p["Gateway_Charge_Id__c"] for p in pays}) == len(pays), pays


@then(parsers.parse("the ERP shows the invoice fully paid by {n:d} customer payments"))
def erp_paid_by(world, n):
    inv = world.o2c.erp_invoice(world.current)
    assert money(inv["amountRemaining"]) == 0 and money(inv["amountPaid"]) == money(inv["total"]), inv
    pays = world.o2c.erp_payments()
    assert len(pays) == n and sum((money(p["total"]) for p in pays), money(0)) == money(inv["total"]), pays


@then("the customer's reminders read:")
def reminders(world, datatable):
    m = world.o2c.mirror(world.current)
    rows = world.o2c.sf.query("SELECT Dunning_Stage__c, Invoice_Balance_At_Send__c, Invoice_Payment_Status_At_Send__c, "
                              f"TextBody FROM EmailMessage WHERE RelatedToId = '{m['Id']}' AND Dunning_Stage__c != null "
                              "ORDER BY MessageDate")
    got = [(r["Dunning_Stage__c"], money(r["Invoice_Balance_At_Send__c"]), r["Invoice_Payment_Status_At_Send__c"])
           for r in rows]
    assert got == [(r[0], money(r[1]), r[2]) for r in datatable[1:]], got
    for r, want in zip(rows, datatable[1:]):
        assert f"{money(want[1]):,.2f}" in r["TextBody"], r["TextBody"]
