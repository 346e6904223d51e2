"""Subscriptions on the simulated clock, through stripe-python: periods, invoices, trials, dunning,
prorations and cancellation."""
from __future__ import annotations

import calendar
from datetime import datetime, timezone

import pytest
import stripe

DAY = 86400


def months_later(ts: int, n: int) -> int:
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    y, m = divmod(dt.month - 1 + n, 12)
    year, month = dt.year + y, m + 1
    return int(dt.replace(year=year, month=month, day=min(dt.day, calendar.monthrange(year, month)[1])).timestamp())


def customer(sc, card="pm_card_visa"):
    cus = sc.v1.customers.create({"email": "billing@acme.test", "payment_method": card})
    pm = sc.v1.customers.payment_methods.list(cus.id).data[0]
    sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}})
    return cus


def monthly_price(sc, amount=2000, name="Pro plan"):
    return sc.v1.prices.create({"currency": "usd", "unit_amount": amount, "recurring": {"interval": "month"},
                                "product_data": {"name": name}})


def sub_invoices(sc, sub_id, cus_id):
    invs = sc.v1.invoices.list({"customer": cus_id, "limit": 100}).data
    return sorted((i for i in invs if i.parent and i.parent.subscription_details.subscription == sub_id),
                  key=lambda i: i.created)


def test_monthly_subscription_paid_over_three_periods(harness, sc, receiver):
    cus, price = customer(sc), monthly_price(sc)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id, "quantity": 2}]})
    start = sub.start_date
    assert sub.status == "active" and sub.items.data[0].quantity == 2
    assert sub.items.data[0].current_period_start == start
    assert sub.items.data[0].current_period_end == months_later(start, 1)
    first = sc.v1.invoices.retrieve(sub.latest_invoice)
    assert first.status == "paid" and first.amount_paid == 4000 and first.billing_reason == "subscription_create"
    assert first.lines.data[0].parent.subscription_item_details.subscription_item == sub.items.data[0].id

    for n in (1, 2):
        harness.advance_to(datetime.fromtimestamp(months_later(start, n), tz=timezone.utc))
        renewal = sc.v1.invoices.retrieve(sc.v1.subscriptions.retrieve(sub.id).latest_invoice)
        assert renewal.status == "draft" and renewal.billing_reason == "subscription_cycle"
        assert renewal.lines.data[0].period.start == months_later(start, n)
        assert renewal.lines.data[0].period.end == months_later(start, n + 1)
        harness.advance("1h")   # auto_advance: finalized an hour later, then charged
        paid = sc.v1.invoices.retrieve(renewal.id)
        assert paid.status == "paid" and paid.amount_paid == 4000
        assert paid.status_transitions.finalized_at == months_later(start, n) + 3600
    now = sc.v1.subscriptions.retrieve(sub.id)
    assert now.status == "active" and now.items.data[0].current_period_end == months_later(start, 3)
    assert [i.amount_paid for i in sub_invoices(sc, sub.id, cus.id)] == [4000, 4000, 4000]
    harness.settle()
    types = receiver.types()
    assert types.count("customer.subscription.created") == 1 and types.count("invoice.paid") == 3
    upcoming = [e for e in receiver.events if e["type"] == "invoice.upcoming"]
    assert len(upcoming) == 2 and upcoming[0]["created"] == months_later(start, 1) - 3 * DAY
    assert upcoming[0]["data"]["object"]["amount_due"] == 4000 and upcoming[0]["data"]["object"]["id"] is None
    assert types.index("customer.subscription.created") < types.index("invoice.created")


def test_trial_then_active_with_trial_will_end(harness, sc, receiver):
    cus, price = customer(sc), monthly_price(sc, 1500)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}], "trial_period_days": 14})
    assert sub.status == "trialing" and sub.trial_end == sub.start_date + 14 * DAY
    zero = sc.v1.invoices.retrieve(sub.latest_invoice)
    assert zero.status == "paid" and zero.amount_due == 0
    harness.advance("10d")
    assert receiver.types().count("customer.subscription.trial_will_end") == 0
    harness.advance("1d")
    harness.settle()
    will_end = [e for e in receiver.events if e["type"] == "customer.subscription.trial_will_end"]
    assert len(will_end) == 1 and will_end[0]["created"] == sub.trial_end - 3 * DAY
    harness.advance("3d")
    active = sc.v1.subscriptions.retrieve(sub.id)
    assert active.status == "active" and active.billing_cycle_anchor == sub.trial_end
    assert active.items.data[0].current_period_end == months_later(sub.trial_end, 1)
    harness.advance("1h")
    inv = sc.v1.invoices.retrieve(active.latest_invoice)
    assert inv.status == "paid" and inv.amount_paid == 1500


def test_send_invoice_with_days_until_due_and_overdue_past_due(harness, sc):
    cus = sc.v1.customers.create({"email": "ap@acme.test"})
    price = monthly_price(sc, 9900)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}],
                                    "collection_method": "send_invoice"})
    assert exc.value.param == "days_until_due"
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}],
                                      "collection_method": "send_invoice", "days_until_due": 30})
    assert sub.status == "active" and sub.days_until_due == 30
    inv = sc.v1.invoices.retrieve(sub.latest_invoice)
    assert inv.status == "open" and inv.due_date == inv.status_transitions.finalized_at + 30 * DAY
    assert inv.collection_method == "send_invoice" and inv.attempt_count == 0
    assert [e.type for e in sc.v1.events.list({"type": "invoice.sent"}).data] == ["invoice.sent"]
    harness.advance("30d")
    assert sc.v1.subscriptions.retrieve(sub.id).status == "past_due"
    sc.v1.invoices.pay(inv.id, {"paid_out_of_band": True})
    assert sc.v1.subscriptions.retrieve(sub.id).status == "active"


@pytest.mark.parametrize("final", ["unpaid", "canceled"])
def test_declining_card_past_due_then_final_status(harness, sc, receiver, final):
    harness.control("stripe").post("/stripe/dunning", {"retries": 3, "window_days": 6, "subscription_final": final})
    cus, price = customer(sc), monthly_price(sc, 3000)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    assert sub.status == "active"
    bad = sc.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": cus.id})
    sc.v1.subscriptions.update(sub.id, {"default_payment_method": bad.id})
    harness.advance_to(datetime.fromtimestamp(months_later(sub.start_date, 1) + 3600, tz=timezone.utc))
    late = sc.v1.subscriptions.retrieve(sub.id)
    inv = sc.v1.invoices.retrieve(late.latest_invoice)
    assert late.status == "past_due" and inv.status == "open" and inv.attempt_count == 1
    harness.advance("6d")
    inv = sc.v1.invoices.retrieve(inv.id)
    assert inv.attempt_count == 4
    end = sc.v1.subscriptions.retrieve(sub.id)
    assert end.status == final
    if final == "canceled":
        assert end.cancellation_details.reason == "payment_failed" and end.ended_at == harness.clock.timestamp()
    harness.settle()
    assert receiver.types().count("invoice.payment_failed") == 4
    statuses = [e["data"]["object"]["status"] for e in receiver.events
                if e["type"].startswith("customer.subscription.") and e["type"] != "customer.subscription.created"]
    assert statuses[-2:] == ["past_due", final]


def test_declining_card_at_creation_is_incomplete_then_expired(harness, sc):
    cus, price = customer(sc, "pm_card_chargeCustomerFail"), monthly_price(sc)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    assert sub.status == "incomplete"
    harness.advance("22h")
    assert sc.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    harness.advance("1h")
    gone = sc.v1.subscriptions.retrieve(sub.id)
    assert gone.status == "incomplete_expired" and sc.v1.invoices.retrieve(sub.latest_invoice).status == "void"
    fresh = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}],
                                        "payment_behavior": "default_incomplete"})
    assert fresh.status == "incomplete"
    inv = sc.v1.invoices.retrieve(fresh.latest_invoice)
    assert inv.attempt_count == 0 and inv.confirmation_secret.client_secret
    sc.v1.invoices.pay(inv.id, {"payment_method": "pm_card_visa"})
    assert sc.v1.subscriptions.retrieve(fresh.id).status == "active"


def test_quantity_change_with_prorations(harness, sc):
    cus, price = customer(sc), monthly_price(sc, 3000)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id, "quantity": 1}]})
    start, end = sub.items.data[0].current_period_start, sub.items.data[0].current_period_end
    harness.advance("10d")
    t = harness.clock.timestamp()
    item = sub.items.data[0]
    sc.v1.subscription_items.update(item.id, {"quantity": 3})
    pending = sc.v1.invoice_items.list({"customer": cus.id, "pending": True}).data
    amounts = sorted(ii.amount for ii in pending)
    left = (end - t) / (end - start)
    assert amounts == [round(-3000 * left), round(9000 * left)]
    assert all(ii.proration and ii.period.start == t and ii.period.end == end for ii in pending)
    harness.advance_to(datetime.fromtimestamp(end + 3600, tz=timezone.utc))
    renewal = sc.v1.invoices.retrieve(sc.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert renewal.status == "paid" and renewal.amount_paid == 9000 + sum(amounts)
    assert sorted(line.amount for line in renewal.lines.data) == sorted([9000, *amounts])
    # none: no prorations; always_invoice: an invoice at once
    sc.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "quantity": 2}], "proration_behavior": "none"})
    assert not sc.v1.invoice_items.list({"customer": cus.id, "pending": True}).data
    harness.advance("5d")
    upd = sc.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "quantity": 4}],
                                              "proration_behavior": "always_invoice"})
    now_inv = sc.v1.invoices.retrieve(upd.latest_invoice)
    assert now_inv.billing_reason == "subscription_update" and now_inv.status == "paid"
    assert len(now_inv.lines.data) == 2 and now_inv.amount_paid > 0


def test_cancel_at_period_end_and_cancel_now_with_invoice_now(harness, sc, receiver):
    cus, price = customer(sc), monthly_price(sc)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    end = sub.items.data[0].current_period_end
    upd = sc.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    assert upd.cancel_at_period_end and upd.cancel_at == end and upd.status == "active"
    harness.advance_to(datetime.fromtimestamp(end, tz=timezone.utc))
    done = sc.v1.subscriptions.retrieve(sub.id)
    assert done.status == "canceled" and done.ended_at == end
    assert len(sub_invoices(sc, sub.id, cus.id)) == 1   # no renewal invoice
    assert sc.v1.subscriptions.list({"customer": cus.id}).data == []
    assert [s.id for s in sc.v1.subscriptions.list({"customer": cus.id, "status": "canceled"}).data] == [sub.id]

    other = monthly_price(sc, 5000, "Seats")
    sub2 = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}, {"price": other.id}]})
    harness.advance("15d")
    gone = sc.v1.subscriptions.cancel(sub2.id, {"invoice_now": True, "prorate": True})
    assert gone.status == "canceled" and gone.cancellation_details.reason == "cancellation_requested"
    final = sc.v1.invoices.retrieve(gone.latest_invoice)
    assert final.id != sub2.latest_invoice and all(line.amount < 0 for line in final.lines.data)
    assert len(final.lines.data) == 2 and final.total < 0 and final.amount_due == 0
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.subscriptions.cancel(sub2.id)
    harness.settle()
    assert receiver.types().count("customer.subscription.deleted") == 2


def test_subscription_items_and_list_filters(sc):
    cus, price = customer(sc), monthly_price(sc)
    extra = monthly_price(sc, 700, "Add-on")
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    si = sc.v1.subscription_items.create({"subscription": sub.id, "price": extra.id, "quantity": 5,
                                          "proration_behavior": "none"})
    assert si.subscription == sub.id and si.quantity == 5
    assert {i.id for i in sc.v1.subscription_items.list({"subscription": sub.id}).data} == \
        {si.id, sub.items.data[0].id}
    assert [s.id for s in sc.v1.subscriptions.list({"price": extra.id}).data] == [sub.id]
    gone = sc.v1.subscription_items.delete(si.id, {"proration_behavior": "none"})
    assert gone.deleted
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.subscription_items.delete(sub.items.data[0].id)
    with pytest.raises(stripe.InvalidRequestError):   # refused before anything changes
        sc.v1.subscriptions.update(sub.id, {"items": [{"id": sub.items.data[0].id, "deleted": True}]})
    kept = sc.v1.subscriptions.retrieve(sub.id)
    assert [i.id for i in kept.items.data] == [sub.items.data[0].id]
    assert sc.v1.subscriptions.update(sub.id, {"items": [{"price": extra.id}]}).items.total_count == 2
    one_time = sc.v1.prices.create({"currency": "usd", "unit_amount": 100, "product_data": {"name": "Setup"}})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": one_time.id}]})
    assert exc.value.param == "items[0][price]"


def test_trial_without_payment_method_pauses_then_resumes(harness, sc):
    cus = sc.v1.customers.create({"email": "x@acme.test"})
    price = monthly_price(sc)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}], "trial_period_days": 7,
                                      "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}}})
    harness.advance("7d")
    assert sc.v1.subscriptions.retrieve(sub.id).status == "paused"
    sc.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id})
    pm = sc.v1.customers.payment_methods.list(cus.id).data[0]
    sc.v1.subscriptions.update(sub.id, {"default_payment_method": pm.id})
    harness.advance("2d")
    resumed = sc.v1.subscriptions.resume(sub.id)
    now = harness.clock.timestamp()
    assert resumed.status == "active" and resumed.items.data[0].current_period_start == now
    assert resumed.items.data[0].current_period_end == months_later(now, 1)
    assert sc.v1.invoices.retrieve(resumed.latest_invoice).status == "paid"
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.subscriptions.resume(sub.id)


def test_future_billing_cycle_anchor_prorates_the_first_period(harness, sc):
    cus, price = customer(sc), monthly_price(sc, 3100)
    now = harness.clock.timestamp()
    anchor = now + 10 * DAY
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}],
                                      "billing_cycle_anchor": anchor})
    assert sub.billing_cycle_anchor == anchor and sub.items.data[0].current_period_end == anchor
    full = anchor - months_later(anchor, -1)
    first = sc.v1.invoices.retrieve(sub.latest_invoice)
    assert first.status == "paid" and first.amount_paid == round(3100 * 10 * DAY / full)
    harness.advance("10d")
    harness.advance("1h")
    nxt = sc.v1.subscriptions.retrieve(sub.id)
    assert nxt.items.data[0].current_period_end == months_later(anchor, 1)
    assert sc.v1.invoices.retrieve(nxt.latest_invoice).amount_paid == 3100
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}],
                                    "billing_cycle_anchor": now - 1})
    assert exc.value.param == "billing_cycle_anchor"


def test_trial_end_now_and_cancel_at(harness, sc):
    cus, price = customer(sc), monthly_price(sc, 800)
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}], "trial_period_days": 30})
    harness.advance("2d")
    now = harness.clock.timestamp()
    ended = sc.v1.subscriptions.update(sub.id, {"trial_end": "now"})
    assert ended.status == "active" and ended.trial_end == now
    assert ended.items.data[0].current_period_end == months_later(now, 1)
    harness.advance("1h")
    assert sc.v1.invoices.retrieve(ended.latest_invoice).amount_paid == 800
    harness.advance("28d")   # the trial's original end passes without a second renewal
    assert len(sub_invoices(sc, sub.id, cus.id)) == 2
    later = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}],
                                        "cancel_at": harness.clock.timestamp() + 5 * DAY})
    harness.advance("5d")
    assert sc.v1.subscriptions.retrieve(later.id).status == "canceled"
