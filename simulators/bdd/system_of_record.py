"""Billing system of record: one invoice per order, mirrors, duplicate invoices."""
from pytest_bdd import given, parsers, then, when

from .world import money



@then(parsers.parse("the ERP holds exactly {n:d} invoice for the order"))
def erp_invoice_count(world, n):
    assert world.o2c.erp_invoice_count(world.current) == n


@then(parsers.parse("Salesforce holds exactly {n:d} invoice mirror for the order, sourced from {source}"))
def mirror_count(world, n, source):
    assert len(world.o2c.mirrors(world.current)) == n
    assert world.o2c.mirror(world.current)["Source_System__c"] == {"the ERP": "ERP"}.get(source, source)


@then("the mirror carries the ERP invoice number and these amounts:")
def mirror_amounts(world, datatable):
    m = world.o2c.mirror(world.current)
    inv = world.o2c.erp_invoice(world.current)
    assert m["ERP_Document_Number__c"] == inv["tranId"] and m["ERP_Invoice_Id__c"] == str(inv["id"])
    want = dict(zip(datatable[0], datatable[1]))
    got = {"subtotal": m["blng__Subtotal__c"], "tax": m["blng__TaxAmount__c"], "total": m["blng__TotalAmount__c"]}
    erp = {"subtotal": inv["subtotal"], "tax": inv["taxTotal"], "total": inv["total"]}
    for k, v in want.items():
        assert money(got[k]) == money(v) == money(erp[k]), (k, got, erp)


@when("someone bills the same sales order again in the ERP")
def bill_again(world):
    world.last = world.o2c.bill_again(world.current)


@then("the ERP refuses the second invoice as already billed")
def refused(world):
    assert world.last["status"] == 400 and world.last["code"] == "INVALID_INITIALIZE_REF", world.last


@given("Salesforce sends every order notification twice")
def notifications_twice(world):
    world.o2c.h.control("salesforce").add_fault(operation="webhook.deliver", duplicate=True)


@when("a user keys in a second invoice for the same order in Salesforce")
def key_in_duplicate(world):
    world.o2c.duplicate_invoice_in_salesforce(world.current)


@then("the books do not reconcile, and reconciliation names the duplicate invoice for the order")
def caught(world):
    failures = world.broken_on_purpose("a duplicate invoice keyed in by hand", "one sales order and one invoice")
    assert any(world.current in f and "invoice mirrors" in f for f in failures), failures


# ---------------------------------------------------------------------------------------------------
# The read-only mirror (field-level security of the finance profile)
# ---------------------------------------------------------------------------------------------------
FINANCE_USER = "finance@o2c.test"


@when(parsers.parse("a finance user tries to change the invoice total in Salesforce to {amount}"))
def finance_changes_total(world, amount):
    world.last = world.o2c.edit_invoice_as(FINANCE_USER, world.current, {"blng__TotalAmount__c": money(amount),
                                                                         "blng__Balance__c": money(amount)})


@then("Salesforce refuses the change because the field is read-only for the finance profile")
def refused_read_only(world):
    assert world.last == "INVALID_FIELD_FOR_INSERT_UPDATE", world.last


@when("a finance user puts the invoice on hold in Salesforce")
def finance_holds(world):
    world.last = world.o2c.edit_invoice_as(FINANCE_USER, world.current, {"On_Hold__c": True})
    assert world.last is None, world.last


@then("the invoice shows on hold in Salesforce")
def on_hold(world):
    m = world.o2c.sf.query(f"SELECT On_Hold__c FROM blng__Invoice__c WHERE Id = '{world.o2c.mirror(world.current)['Id']}'")
    assert m[0]["On_Hold__c"] is True
