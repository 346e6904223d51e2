"""Resumable, idempotent integration work: a retried publish continues where it stopped, an
"already exists" answer is re-read and accepted, and dead letters are listed and retried with one
command (``o2c integration dead-letters`` / ``retry-dead-letters``)."""
from collections import Counter
from decimal import Decimal

from simulators.cli import main as o2c_cli

from .conftest import make


def ops(h, name):
    return Counter(e["operation"] for e in h.control(name).journal() if e["status"] < 400)


def test_a_retried_publish_continues_where_it_stopped(world):
    h = world.h
    key = world.place_order("WINDY-CHICAGO", [("HW-ROUTER", 2), ("SUPPORT-12", 1)])
    # finalize fails five times: every earlier step of the publish job is done once, not six times
    h.control("stripe").add_fault(operation="invoices.finalize", error={"code": "api_error"}, times=5)
    world.activate(key)
    h.advance("1h")   # the retries run on the simulated clock
    stripe_ops = ops(h, "stripe")
    assert stripe_ops["invoices.create"] == 1 and stripe_ops["invoices.add_lines"] == 1   # both lines, one call
    assert stripe_ops["invoices.finalize"] == 1
    assert sum(1 for e in h.control("stripe").journal() if e["operation"] == "invoices.finalize") == 6
    sf_writes = [e for e in h.control("salesforce").journal()
                 if e["method"] in ("PATCH", "POST") and "blng__InvoiceLine__c" in e["path"]]
    # the mirror's two lines, written once: one sObject Collections upsert
    assert [e["operation"] for e in sf_writes] == ["composite.sobjects_upsert"], sf_writes
    status = world.integration_status()
    assert status["dead_letters"] == 0 and status["stats"]["retries"] == 5
    assert world.stripe_invoice(key)["status"] == "open"
    assert world.reconcile().ok


def test_back_off_restarts_while_the_job_makes_progress():
    """Attempts get a step further before a fault: more failures in all than the retry schedule has
    delays, and still no dead letter, because the back-off restarts whenever an attempt made progress."""
    h, o2c = make(retry_schedule=[1, 2, 4])
    try:
        key = o2c.place_order("ACME-IRVINE", [("HW-ROUTER", 1), ("SUPPORT-12", 1), ("HW-ROUTER", 3)])
        stripe = h.control("stripe")
        # the draft and its lines fail once each, finalize twice: 4 failures > 3 delays
        stripe.add_fault(operation="invoices.create", error={"code": "lock_timeout"}, times=1)
        stripe.add_fault(operation="invoices.add_lines", error={"code": "lock_timeout"}, times=1)
        stripe.add_fault(operation="invoices.finalize", error={"code": "api_error"}, times=2)
        o2c.activate(key)
        h.advance("1h")
        assert o2c.integration_status()["dead_letters"] == 0
        assert o2c.stripe_invoice(key)["status"] == "open"
        assert o2c.reconcile().ok
    finally:
        h.stop()


def test_a_duplicate_payment_answer_is_re_read_and_accepted(world):
    """DUP_RCRD from the ERP for a customer payment that is already there: a second worker (no
    checkpoints of the first) creates it again (the integration does not look before creating); the
    ERP refuses, the worker re-reads it, finds it applied to the same invoice and accepts it. One
    payment on each side, nothing dead-lettered."""
    h = world.h
    key = world.place_order("ROSE-PORTLAND", [("HW-ROUTER", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    world.pay(key, amount=Decimal("50.00"))   # a part payment: the ERP invoice stays open
    h.advance("1h")
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Partially Paid"
    integ = h.apps["integration"].extensions["integration"]
    [pay] = world.payments(key)
    charge = pay["Gateway_Charge_Id__c"]
    mirror = integ.payments._mirror_for(world.stripe_invoice(key))
    integ.queue.forget(f"payment:{charge}")   # the second worker has none of the first's checkpoints
    integ.payments.apply_payment(world.mirror(key)["ERP_Invoice_Id__c"], mirror, charge, Decimal("50.00"),
                                 int(h.now().timestamp()))
    dup = [e for e in h.control("erp").journal("customerPayment.create") if e["status"] == 400]
    assert len(dup) == 1, "the second create was answered DUP_RCRD"
    assert len(world.payments(key)) == 1 and len(world.erp_payments()) == 1
    assert world.integration_status()["dead_letters"] == 0
    assert world.reconcile().ok
    world.pay(key)   # the rest
    h.advance("1h")
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Paid" and len(world.erp_payments()) == 2
    assert world.reconcile().ok


def test_dead_letters_listed_and_retried_with_one_command(world, capsys):
    h = world.h
    key = world.place_order("BIGAPPLE-NYC", [("HW-ROUTER", 1)])
    # a refusal retrying will not fix (until someone fixes the cause): straight to the dead letters
    h.control("erp").add_fault(operation="*", error={"code": "INVALID_FLD_VALUE", "status": 400}, times=1)
    world.activate(key)
    h.advance("1h")
    assert world.mirror(key) is None
    url = h.url("integration")
    assert o2c_cli(["integration", "dead-letters", "--url", url]) == 0
    listed = capsys.readouterr().out
    assert "dl_1" in listed and "order:" in listed and "INVALID_FLD_VALUE" in listed
    assert h.integration().dead_letters()[0]["kind"] == "order"
    assert o2c_cli(["integration", "retry-dead-letters", "--url", url]) == 0
    assert "resubmitted 1 dead letter" in capsys.readouterr().out
    h.advance("1h")
    assert world.mirror(key)["Stripe_Invoice_Id__c"]
    assert h.integration().dead_letters() == [] and h.retry_dead_letters() == 0
    assert world.integration_status()["stats"]["dead_retried"] == 1
    assert world.reconcile().ok


def test_polling_resumes_from_the_last_event_seen():
    """Polling reads only events newer than the last one seen (``ending_before``): later polls do
    not list the same events again, and a poll that failed picks up exactly where it was."""
    h, o2c = make("polling")
    try:
        keys = [o2c.place_order(c, [("HW-ROUTER", 1)]) for c in ("ACME-IRVINE", "WINDY-CHICAGO")]
        for k in keys:
            o2c.activate(k)
        h.advance("10m")
        o2c.pay(keys[0])
        h.advance("10m")
        assert o2c.mirror(keys[0])["blng__PaymentStatus__c"] == "Paid"
        h.control("stripe").add_fault(operation="events.list", error={"code": "api_error"}, times=3)
        o2c.pay(keys[1])
        h.advance("2h")   # 24 polls, the first ones failing
        status = o2c.integration_status()
        assert o2c.mirror(keys[1])["blng__PaymentStatus__c"] == "Paid"
        assert status["stats"]["polls"] >= 20 and status["dead_letters"] == 0
        assert status["stats"]["duplicates_ignored"] == 0, "no event was listed twice"
        assert o2c.reconcile().ok
    finally:
        h.stop()
