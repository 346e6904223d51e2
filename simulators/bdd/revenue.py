"""Revenue recognition: SSP allocation, ratable and point-in-time plans, period close,
go-live, credit memo re-plan."""
from collections import defaultdict

from pytest_bdd import parsers, then, when

from .world import money



def _element(world, sku):
    return next(e for e in world.o2c.revenue(world.current)["elements"] if e["itemId"] == sku)


@then(parsers.parse("the ERP allocates the transaction price of {price} by standalone selling price:"))
def allocation(world, price, datatable):
    arr = world.o2c.revenue(world.current)
    assert money(arr["transactionPrice"]) == money(price), arr["transactionPrice"]
    by_sku = {e["itemId"]: e for e in arr["elements"]}
    for sku, invoiced, ssp, allocated in datatable[1:]:
        e = by_sku[sku]
        assert (money(e["salesAmount"]), money(e["fairValue"]), money(e["allocationAmount"])) == \
            (money(invoiced), money(ssp), money(allocated)), e


@then("the implementation's revenue waits for go-live")
def waits(world):
    e = _element(world, "SVC-IMPL")
    assert e["plan"]["status"] == "ON_HOLD" and e["plan"]["lines"] == [], e["plan"]


@then(parsers.re(r'the revenue plan for "(?P<sku>[^"]+)" totals (?P<total>[0-9.]+) over (?P<n>\d+) months?, starting:'),
      converters={"n": int})
def plan(world, sku, total, n, datatable):
    lines = [l for l in _element(world, sku)["plan"]["lines"] if l["kind"] == "plan"]
    assert len(lines) == n and sum(money(l["amount"]) for l in lines) == money(total), lines
    for (month, amount), l in zip(datatable[1:], lines):
        assert (l["period"], money(l["amount"])) == (month, money(amount)), l


@when(parsers.parse("the books for {period} are closed"))
def close(world, period):
    world.last = world.o2c.close_period(period)


@then(parsers.parse("the closing journal for {period} is:"))
def journal(world, period, datatable):
    closed = next(c for c in world.last["closed"] if c["period"] == period)
    je = world.o2c.erp.get("journalEntry", closed["journalEntry"])
    totals = defaultdict(lambda: [money(0), money(0)])
    for line in je["line"]["items"]:
        totals[line["accountName"]][0] += money(line["debit"])
        totals[line["accountName"]][1] += money(line["credit"])
    want = {r[0]: [money(r[1]), money(r[2])] for r in datatable[1:]}
    assert dict(totals) == want, dict(totals)


@when(parsers.parse("the customer goes live on {day}"))
def go_live(world, day):
    world.o2c.go_live(world.current, day)


@then("the revenue plans are in their second version")
def second_version(world):
    for e in world.o2c.revenue(world.current)["elements"]:
        assert e["plan"].get("version") == 2, e["plan"]
