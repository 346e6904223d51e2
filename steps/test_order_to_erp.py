"""Order to ERP: multi-line orders, amendments before activation, locked orders, cancellation."""
from pytest_bdd import parsers, scenarios, then, when

from conftest import money

scenarios("../features/order_to_erp.feature")


@then("the ERP sales order has these lines:")
def so_lines(world, datatable):
    so = world.o2c.erp_sales_order(world.current)
    items = so["item"]["items"] if isinstance(so["item"], dict) else so["item"]
    got = [(str(i["item"].get("refName") or i["item"].get("externalId") or i["item"].get("id")),
            float(i["quantity"]), money(i["amount"])) for i in items]
    want = [(r[0], float(r[1]), money(r[2])) for r in datatable[1:]]
    assert [(q, a) for _, q, a in got] == [(q, a) for _, q, a in want], got
    assert len(got) == len(want)


@then("the invoice totals:")
def invoice_totals(world, datatable):
    world.o2c.h.settle()
    inv = world.o2c.erp_invoice(world.current)
    m = world.o2c.mirror(world.current)
    want = dict(zip(datatable[0], datatable[1]))
    erp = {"subtotal": inv["subtotal"], "tax": inv["taxTotal"], "total": inv["total"]}
    sf = {"subtotal": m["blng__Subtotal__c"], "tax": m["blng__TaxAmount__c"], "total": m["blng__TotalAmount__c"]}
    for k, v in want.items():
        assert money(erp[k]) == money(v) == money(sf[k]), (k, v, erp, sf)


@when(parsers.parse('the sales rep changes the quantity of "{sku}" to {qty:d}'))
def change_qty(world, sku, qty):
    assert world.o2c.amend_line(world.current, sku, qty) is None


@when(parsers.parse('the sales rep adds {qty:d} "{sku}" at {price}'))
def add_line(world, qty, sku, price):
    assert world.o2c.add_line(world.current, sku, qty, money(price)) is None


@when(parsers.parse('the sales rep tries to change the quantity of "{sku}" to {qty:d}'))
def try_change(world, sku, qty):
    world.last = world.o2c.amend_line(world.current, sku, qty)


@then("Salesforce refuses the change because the order is activated")
def refused(world):
    assert world.last == "FIELD_INTEGRITY_EXCEPTION", world.last


@when("the sales rep cancels the order")
def cancel(world):
    world.o2c.cancel(world.current)


@then("the tax document of the invoice is voided in the tax engine")
def voided(world):
    code = world.o2c.mirror(world.current)["AvaTax_Document_Code__c"]
    world.o2c.h.wait_until(lambda: world.o2c.tax_document(code)["status"] == "Cancelled", what="the tax document voided")


@then("the customer can no longer pay the invoice online")
def not_payable(world):
    assert world.o2c.stripe_invoice(world.current)["status"] == "void"
    answer = world.o2c.pay(world.current, "visa")
    assert "error" in answer, answer


@then(parsers.parse('the order shows billing status "{status}" in Salesforce'))
def billing_status(world, status):
    assert world.o2c.order(world.current)["Billing_Status__c"] == status
