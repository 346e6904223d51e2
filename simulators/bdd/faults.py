"""Faults: each system down or slow for a while; everything completes, nothing lost, nothing doubled."""
from pytest_bdd import given, parsers, then, when

from .common import CARD_NAMES


SYSTEMS = {"Salesforce": "salesforce", "the ERP": "erp", "the tax engine": "avalara",
           "the payment processor": "stripe", "the integration": "integration"}


@when(parsers.parse("{system} goes down before the integration has heard of them"))
@when(parsers.parse("{system} goes down before the integration has heard of it"))
def down(world, system):
    world.o2c.take_down(SYSTEMS[system])


@when(parsers.parse("{system} is back"))
def back(world, system):
    world.o2c.restore(SYSTEMS[system])


@then(parsers.parse("{system} refused the integration's calls while it was down"))
def refused(world, system):
    assert world.o2c.fault_hits(SYSTEMS[system]) > 0


@given(parsers.parse("{system} answers every call after {seconds:d} seconds"))
def slow(world, system, seconds):
    world.o2c.slow_down(SYSTEMS[system], seconds * 1000)


@then("both orders are invoiced exactly once")
def both_invoiced(world):
    for key in world.orders.values():
        world.o2c.wait_for_invoice(key)
        assert world.o2c.erp_invoice_count(key) == 1 and len(world.o2c.mirrors(key)) == 1


@when("both customers pay with a valid card")
def both_pay(world):
    for key in world.orders.values():
        answer = world.o2c.pay(key, CARD_NAMES["a valid card"])
        assert "error" not in answer, answer


@then("both invoices show Paid in Salesforce")
def both_paid(world):
    for key in world.orders.values():
        world.o2c.wait_for_paid(key)


@given("the integration goes down")
def integration_down(world):
    # Down means nothing in flight either: let the work already started (publishing the invoice)
    # finish first; live, it may still be running when the previous step saw the mirror appear.
    world.o2c.h.wait_until(lambda: world.o2c.integration_status()["pending"] == 0, timeout=20,
                           what="the integration's work in flight to finish")
    world.o2c.h.control("integration").add_fault(operation="*", error={"code": "unavailable", "status": 503})


@then(parsers.parse('the order of "{customer}" has no invoice yet'))
def no_invoice_yet(world, customer):
    world.o2c.h.settle()
    assert world.o2c.mirror(world.orders[customer]) is None and world.o2c.erp_invoice(world.orders[customer]) is None


@then(parsers.parse('the invoice of "{customer}" still shows {status} in Salesforce'))
@then(parsers.parse('the invoice of "{customer}" shows {status} in Salesforce'))
def invoice_of_shows(world, customer, status):
    world.o2c.h.settle()
    assert world.o2c.mirror(world.orders[customer])["blng__PaymentStatus__c"] == status


@then(parsers.parse('the order of "{customer}" is invoiced'))
def order_invoiced(world, customer):
    world.o2c.wait_for_invoice(world.orders[customer])
