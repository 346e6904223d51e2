"""Payment (seed step 4): hosted link, card paid, declines with reasons, retry, refunds, disputes."""
import re

from pytest_bdd import parsers, scenarios, then, when

from conftest import money

scenarios("../features/payment.feature")


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
