"""The steps every capability uses: the integration's settings (background), orders, time,
payment and reconciliation."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from pytest_bdd import given, parsers, then, when

from .world import EXTERNAL, money, seconds


# ---------------------------------------------------------------------------------------------------
# Shared steps: the integration's settings (background)
# ---------------------------------------------------------------------------------------------------
def _external_must_match(what: str, wanted: str) -> None:
    """With your own integration the settings are yours: a scenario written for other settings is
    skipped (declare yours with O2C_SYNC=webhook|polling, O2C_POLL_MINUTES=n, O2C_SOR=erp|salesforce)."""
    if EXTERNAL:
        env = {"payment_sync": "O2C_SYNC", "poll_minutes": "O2C_POLL_MINUTES", "system_of_record": "O2C_SOR"}[what]
        default = {"O2C_SYNC": "webhook", "O2C_SOR": "erp", "O2C_POLL_MINUTES": ""}[env]
        if os.environ.get(env, default) != wanted:
            pytest.skip(f"scenario needs {what}={wanted}; your integration declares {env}="
                        f"{os.environ.get(env, default) or '(unset)'}")


@given("the integration learns of payments by webhook")
def sync_by_webhook(world):
    _external_must_match("payment_sync", "webhook")
    world.settings["payment_sync"] = "webhook"


@given(parsers.parse("the integration learns of payments by polling every {n:d} minutes"))
def sync_by_polling(world, n):
    _external_must_match("payment_sync", "polling")
    _external_must_match("poll_minutes", str(n))
    world.settings.update(payment_sync="polling", poll_interval=n * 60)


@given("the ERP is the billing system of record")
def erp_is_sor(world):
    _external_must_match("system_of_record", "erp")
    world.settings["system_of_record"] = "erp"


@given("Salesforce is the billing system of record")
def sf_is_sor(world):
    _external_must_match("system_of_record", "salesforce")
    world.settings["system_of_record"] = "salesforce"


@given("the order-to-cash integration is running")
def integration_running(world):
    assert world.o2c is not None


# ---------------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------------
def _lines_from(datatable) -> list[tuple]:
    header = [c.strip().lower() for c in datatable[0]]
    lines = []
    for row in datatable[1:]:
        r = dict(zip(header, [c.strip() for c in row]))
        lines.append((r["product"], float(r.get("quantity") or 1), money(r["unit price"]) if r.get("unit price") else None))
    return lines


@given(parsers.parse('customer "{customer}" orders:'), target_fixture="order_key")
@given(parsers.parse('customer "{customer}" has a draft order:'), target_fixture="order_key")
def customer_orders(world, customer, datatable):
    key = world.o2c.place_order(customer, _lines_from(datatable))
    world.orders[customer] = key
    world.current = key
    return key


def _order_one(world, customer, qty, sku, price=None):
    key = world.o2c.place_order(customer, [(sku, qty, money(price) if price else None)])
    world.orders[customer] = key
    world.current = key
    return key


@given(parsers.parse('customer "{customer}" orders {qty:d} "{sku}" at {price}'), target_fixture="order_key")
def customer_orders_priced(world, customer, qty, sku, price):
    return _order_one(world, customer, qty, sku, price)


@given(parsers.parse('customer "{customer}" orders {qty:d} "{sku}"'), target_fixture="order_key")
def customer_orders_one(world, customer, qty, sku):
    return _order_one(world, customer, qty, sku)


@given("the order is activated")
@when("the order is activated")
@when("the sales rep activates the order")
def activate(world):
    world.o2c.activate(world.current)


@given(parsers.parse('the order of "{customer}" is activated'))
@when(parsers.parse('the order of "{customer}" is activated'))
def activate_named(world, customer):
    world.current = world.orders[customer]
    world.o2c.activate(world.current)


@given("the invoice has been issued")
@when("the invoice has been issued")
@then("the invoice is issued")
def invoice_issued(world):
    world.o2c.wait_for_invoice(world.current)


@given(parsers.parse('customer "{customer}" has an open invoice for {qty:d} "{sku}"'))
def open_invoice(world, customer, qty, sku):
    _order_one(world, customer, qty, sku)
    world.o2c.activate(world.current)
    world.o2c.wait_for_invoice(world.current)


# ---------------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------------
@given(parsers.parse("{n:d} {unit} pass"))
@when(parsers.parse("{n:d} {unit} pass"))
@given(parsers.parse("{n:d} {unit} passes"))
@when(parsers.parse("{n:d} {unit} passes"))
def time_passes(world, n, unit):
    world.advance(seconds(n, unit))


def _due(world) -> datetime:
    m = world.o2c.mirror(world.current)
    return datetime.fromisoformat(m["blng__DueDate__c"]).replace(tzinfo=timezone.utc)


@given(parsers.parse("the invoice is {n:d} days overdue"))
@when(parsers.parse("the invoice is {n:d} days overdue"))
@given(parsers.parse("time moves on until the invoice is {n:d} days overdue"))
@when(parsers.parse("time moves on until the invoice is {n:d} days overdue"))
def days_overdue(world, n):
    """Until just after the collections run on the day the invoice is ``n`` days past its due date."""
    run = _due(world) + timedelta(days=n, hours=6, minutes=1)
    world.advance_to(run)


# ---------------------------------------------------------------------------------------------------
# Payment
# ---------------------------------------------------------------------------------------------------
CARD_NAMES = {"a valid card": "visa", "a card that is declined": "declined",
              "a card with insufficient funds": "insufficient_funds", "a card that will be disputed": "dispute",
              "a lost card": "4000000000009987", "an expired card": "4000000000000069",
              "a card with a wrong security code": "4000000000000127"}


@when(parsers.parse("the customer pays the invoice with {card}"))
@given(parsers.parse("the customer pays the invoice with {card}"))
def customer_pays(world, card):
    world.last = world.o2c.pay(world.current, CARD_NAMES.get(card, card))


def _await_paid(world, timeout: float = 20.0):
    """Wait (never advancing simulated time) for Salesforce to show the invoice Paid."""
    return world.o2c.wait_for_paid(world.current, timeout)


@given("the invoice shows Paid in Salesforce")
@then("the invoice shows Paid in Salesforce")
def shows_paid(world):
    _await_paid(world)


@then(parsers.parse("the invoice shows {status} in Salesforce"))
def shows_status(world, status):
    world.o2c.h.settle()
    assert world.o2c.mirror(world.current)["blng__PaymentStatus__c"] == status


@then("the ERP shows the invoice fully paid by one customer payment")
def erp_fully_paid(world):
    inv = world.o2c.erp_invoice(world.current)
    assert money(inv["amountRemaining"]) == 0 and money(inv["amountPaid"]) == money(inv["total"]), inv
    assert len(world.o2c.erp_payments()) == 1


@then("the ERP shows no payment against the invoice")
def no_erp_payment(world):
    inv = world.o2c.erp_invoice(world.current)
    assert money(inv["amountPaid"]) == 0 and not world.o2c.erp_payments()


@then("the customer has received no dunning email")
def no_email(world):
    assert world.o2c.dunning_emails(world.current) == []


@when("the customer is refunded in full")
def refund_full(world):
    world.o2c.refund(world.current)


@when(parsers.re(r"the customer is refunded (?P<amount>[0-9.,]+)$"))
def refund_part(world, amount):
    world.o2c.refund(world.current, money(amount))
    world.o2c.h.settle()


@then(parsers.parse("the ERP holds a credit memo of {amount} against the invoice"))
def credit_memo(world, amount):
    inv = world.o2c.erp_invoice(world.current)
    memos = world.o2c.h.wait_until(lambda: world.o2c.credit_memos(), what="a credit memo")
    assert len(memos) == 1 and money(memos[0]["total"]) == money(amount), memos
    assert str(memos[0]["createdfrom"]) == str(inv["id"])


# ---------------------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------------------
@then("the books reconcile")
def books_reconcile(world):
    world.report = world.o2c.reconcile()
    assert world.report.ok, world.report.table()


books_reconcile._reconciles = True


@then(parsers.re(r"the books reconcile with (?P<n>\d+) orders?, (?P<i>\d+) invoices? and (?P<p>\d+) payments?"),
      converters={"n": int, "i": int, "p": int})
def books_reconcile_counts(world, n, i, p):
    books_reconcile(world)
    c = world.report.counts
    assert (c["orders"], c["erp_invoices"], c["erp_payments"]) == (n, i, p), c


books_reconcile_counts._reconciles = True


@then(parsers.re(r"reconciliation counts (?P<n>\d+) false dunning emails?"), converters={"n": int})
def false_dunning_count(world, n):
    world.report = world.o2c.reconcile()
    assert len(world.report.false_dunning) == n, world.report.table()
    if n:
        lag = world.report.false_dunning[0]["lag_seconds"]
        world.notes.append(f"false dunning: {n} email(s); first sent {lag} s after the customer had paid")
