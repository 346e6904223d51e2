"""Collections: the dunning ladder by days overdue, escalation, skips, no stage twice."""
from pytest_bdd import given, parsers, then, when



@given("the collections policy is:")
def policy_is(world, datatable):
    policy = world.o2c.dunning_policy()
    got = [(s["key"], s["days_overdue"], (s.get("task") or {}).get("priority", "no"), "yes" if s.get("escalate") else "no")
           for s in policy["stages"]]
    want = [(r[0], int(r[1]), r[2], r[3]) for r in datatable[1:]]
    assert got == want, got


@then(parsers.parse("the customer has received these dunning emails in order: {stages}"))
def emails_in_order(world, stages):
    emails = world.o2c.dunning_emails(world.current)
    assert [e["Dunning_Stage__c"] for e in emails] == [s.strip() for s in stages.split(",")], emails


@then(parsers.parse("the collectors have {n:d} collections tasks for the invoice"))
def tasks(world, n):
    assert len(world.o2c.tasks(world.current)) == n


@then(parsers.parse("the invoice's collections status is \"{status}\""))
def coll_status(world, status):
    assert world.o2c.mirror(world.current)["Collections_Status__c"] == status


@then(parsers.parse('the latest collector task is high priority and reads "{text}"'))
def latest_task(world, text):
    m = world.o2c.mirror(world.current)
    rows = world.o2c.sf.query(f"SELECT Subject, Priority FROM Task WHERE WhatId = '{m['Id']}' ORDER BY CreatedDate")
    assert rows[-1]["Priority"] == "High"
    assert rows[-1]["Subject"] == text.replace("<invoice number>", m["ERP_Document_Number__c"]), rows[-1]


@when("the collections flow is run again, twice")
def run_twice(world):
    world.o2c.run_dunning()
    world.o2c.run_dunning()


@given("the customer disputes the invoice with their account manager")
def dispute_manually(world):
    world.o2c.sf.update("blng__Invoice__c", world.o2c.mirror(world.current)["Id"], {"Dispute_Status__c": "Customer query"})


@given("the account manager puts the invoice on hold")
def hold(world):
    world.o2c.hold(world.current)


@when("the account manager lifts the hold")
def unhold(world):
    world.o2c.sf.update("blng__Invoice__c", world.o2c.mirror(world.current)["Id"], {"On_Hold__c": False})
