"""Webhook versus polling: lag, false dunning, duplicate/out-of-order/forged webhooks."""
from datetime import datetime, timedelta, timezone

from pytest_bdd import given, parsers, then, when

from .common import _due
from .world import EXTERNAL



@then(parsers.parse("the invoice already shows {status} in Salesforce"))
@then(parsers.parse("the invoice still shows {status} in Salesforce"))
def shows_now(world, status):
    world.o2c.h.settle()  # no time passes: what Salesforce shows right now
    assert world.o2c.mirror(world.current)["blng__PaymentStatus__c"] == status


def _run_time(world) -> datetime:
    hh, mm = world.o2c.dunning_policy()["schedule"]["time"].split(":")
    return _due(world) + timedelta(days=1, hours=int(hh), minutes=int(mm))


@given(parsers.parse("it is {n:d} minutes before the collections run on the first day the invoice is overdue"))
def before_run(world, n):
    world.advance_to(_run_time(world) - timedelta(minutes=n))
    world.paid_before = n


@then(parsers.parse('the customer has received the "{stage}" email although they had paid {n:d} minutes earlier'))
def false_email(world, stage, n):
    emails = world.o2c.dunning_emails(world.current)
    assert [e["Dunning_Stage__c"] for e in emails] == [stage], emails
    si = world.o2c.stripe_invoice(world.current)
    paid = datetime.fromtimestamp(si["status_transitions"]["paid_at"], tz=timezone.utc)
    sent = datetime.fromisoformat(emails[0]["MessageDate"].replace("Z", "+00:00").replace("+0000", "+00:00"))
    assert sent - paid == timedelta(minutes=n), (sent, paid)
    assert emails[0]["Invoice_Payment_Status_At_Send__c"] == "Unpaid"


@given("the payment processor delivers every notification twice")
def twice(world):
    world.o2c.webhook_fault("duplicate", times=50)


@then("Salesforce records exactly one payment")
def one_payment(world):
    assert len(world.o2c.payments(world.current)) == 1
    deliveries = world.o2c.webhook_deliveries()
    assert any(d.get("duplicate_of") for d in deliveries), "no delivery was duplicated"


@given("the payment processor will deliver the next notification late, after the one that follows it")
def reorder(world):
    world.o2c.webhook_fault("reorder", times=1)


@then("the late notification was delivered after the payment notification")
def late(world):
    ds = world.o2c.webhook_deliveries()
    failed = [d for d in ds if d.get("event_type") == "invoice.payment_failed"]
    paid = [d for d in ds if d.get("event_type") == "invoice.paid"]
    assert failed and paid, [d.get("event_type") for d in ds]
    last = lambda d: max(a["at"] for a in d["attempts"])  # noqa: E731
    assert last(failed[0]) >= last(paid[0]), (failed[0]["attempts"], paid[0]["attempts"])


@when('someone sends the integration a forged "invoice paid" notification for the invoice')
def forged(world):
    world.last = world.o2c.forge_webhook(world.current)


@then("the integration rejects it")
def rejected(world):
    assert 400 <= world.last < 500, world.last
    if not EXTERNAL:
        assert world.o2c.integration_status()["stats"]["webhooks_rejected"] == 1
