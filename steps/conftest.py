"""Shared glue for the Gherkin suite: the world (harness + reference integration + Lifecycle), the
steps every capability uses, the automatic reconciliation after every scenario, and the reports.

Steps act and observe only through ``simulators.scenario.Lifecycle`` (the systems' public APIs and
control planes), so the same features can judge a user's own integration:

- in-process (default, ``make test``): one InProcessHarness per scenario, the reference integration
  hosted in-process;
- ``O2C_LIVE=1``: one LiveHarness for the session (servers on loopback, the reference integration as
  its own process), reset between scenarios; scenarios tagged ``@inprocess`` are skipped;
- ``O2C_EXTERNAL_INTEGRATION=1``: the fakes started by ``o2c up`` (URLs from ``.o2c/run.json``) and
  *your* integration, already deployed against them; nothing is installed, settings the scenario
  asks for are assumed to be yours (``@reference`` scenarios that need a specific setting are
  skipped unless ``O2C_SYNC`` / ``O2C_SOR`` say yours matches).

See docs/gherkin.md.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from simulators.harness import InProcessHarness, LiveHarness
from simulators.scenario import Lifecycle

from bdd_report import Report  # steps/ is on sys.path as this conftest's folder

LIVE = os.environ.get("O2C_LIVE") == "1"
EXTERNAL = os.environ.get("O2C_EXTERNAL_INTEGRATION") == "1"
FRESH = os.environ.get("O2C_FRESH_HARNESS") == "1"      # a new in-process harness per scenario (slower)
START = datetime(2026, 1, 5, 9, 7, tzinfo=timezone.utc)   # a Monday; off the hour so polls never tie with 06:00 runs
REPORTS = Path(os.environ.get("O2C_REPORTS", "reports"))

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def money(v: Any) -> Decimal:
    return Decimal(str(v if v not in (None, "") else 0).replace("$", "").replace(",", "")).quantize(Decimal("0.01"))


def seconds(n: int, unit: str) -> int:
    return int(n) * UNITS[unit.rstrip("s")]


# ---------------------------------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------------------------------
class World:
    """Everything one scenario knows. The harness starts lazily, after the background has chosen
    the integration's settings."""

    def __init__(self, live_harness=None):
        self.settings: dict[str, Any] = {"payment_sync": "webhook", "system_of_record": "erp", "poll_interval": 300,
                                         "bill_on_activation": True, "billing_run_hour": 2}
        self.live_harness = live_harness
        self.h = None
        self._o2c: Lifecycle | None = None
        self.orders: dict[str, str] = {}        # business name -> order key
        self.current: str | None = None          # the order the scenario talks about
        self.last: Any = None                    # the last answer (decline, refusal, ...)
        self.failed = False
        self.expect_broken: str | None = None    # a scenario that breaks an invariant on purpose
        self.report = None
        self.report_fresh = False                # the last step reconciled; nothing has happened since
        self.notes: list[str] = []

    @property
    def o2c(self) -> Lifecycle:
        if self._o2c is None:
            self._start()
        return self._o2c

    def _start(self) -> None:
        sor = self.settings["system_of_record"]
        if self.live_harness is not None:
            h = self.live_harness
            _reset(h, self.settings)
        else:
            h = InProcessHarness(start=START, integration=dict(self.settings))
            h.start()
        self.h = h
        self._o2c = Lifecycle(h, sor)
        if not EXTERNAL:
            self._o2c.install_integration()
        elif os.environ.get("O2C_EXTERNAL_INSTALL_URL"):
            # your integration's "deploy" hook: after the reset it re-registers its webhook endpoint
            # and Salesforce outbound message (setup the reset removed)
            import requests
            requests.post(os.environ["O2C_EXTERNAL_INSTALL_URL"], timeout=60, headers=h.control_headers(),
                          verify=str(h.ca_path) if h.ca_path else True).raise_for_status()

    def stop(self) -> None:
        if self.h is not None and self.live_harness is None:
            self.h.stop()

    # conveniences
    def order_key(self, name: str | None = None) -> str:
        return self.orders[name] if name else self.current

    def broken_on_purpose(self, why: str, check_name: str) -> list[str]:
        """For a scenario that breaks the books on purpose: reconcile, require that they do not
        reconcile, and return the failures of the check that must name the breakage."""
        self.expect_broken = why
        self.report = self.o2c.reconcile()
        assert not self.report.ok, self.report.table()
        return next(c for c in self.report.checks if c.name == check_name).failures

    def advance(self, secs: float) -> None:
        self.o2c.h.advance(timedelta(seconds=secs))

    def advance_to(self, when: datetime) -> None:
        self.o2c.h.advance_to(when)

    def now(self) -> datetime:
        return self.o2c.h.now()


def _reset(h, settings: dict[str, Any]) -> None:
    """Between scenarios on a shared harness: put the clocks back at START, reset every system,
    reconfigure the reference integration (it is the harness's own, so its settings are ours to set)."""
    def to_start():
        if isinstance(h, InProcessHarness):
            h.clock.set(START)
        else:
            h.start_at = START
            h.sync_clocks()
    to_start()               # back to the start first, so the reset reschedules daily jobs from it
    for name in h.names:
        h.control(name).reset()
        h.control(name).clear_faults()
    to_start()
    if "integration" in h.names and not EXTERNAL:
        import requests
        requests.post(h.url("integration") + "/_integration/config", json=settings, timeout=30,
                      headers=h.control_headers()).raise_for_status()


@pytest.fixture(scope="session")
def live_harness():
    """The session's shared harness (live, external, or one in-process harness reset between
    scenarios); None means a fresh in-process harness per scenario (``O2C_FRESH_HARNESS=1``)."""
    if not LIVE and not EXTERNAL:
        if FRESH:
            yield None
            return
        h = InProcessHarness(start=START, integration={"payment_sync": "webhook", "system_of_record": "erp",
                                                       "poll_interval": 300})
        h.start()
        try:
            yield h
        finally:
            h.stop()
        return
    if EXTERNAL:
        from simulators.harness import run_file
        info = run_file()
        if not info:
            pytest.exit("O2C_EXTERNAL_INTEGRATION=1 needs the fakes running: `o2c up --detach` first")
        yield _ExternalHarness(info)
        return
    h = LiveHarness(integration={"payment_sync": "webhook", "system_of_record": "erp", "poll_interval": 300},
                    start=START)
    h.start()
    try:
        yield h
    finally:
        h.stop()


class _ExternalHarness(LiveHarness):
    """The fakes someone else started (``o2c up``); a user's own integration talks to them.
    ``O2C_EXTERNAL_CONTROL``: the integration's own ``/_sim`` control plane, if it has one (the
    reference integration does), to reset it and keep its clock in lockstep with the fakes."""

    def __init__(self, info: dict[str, Any]):
        super().__init__(fakes=[n for n in info["urls"] if n != "integration"])
        self._urls = dict(info["urls"])
        control = os.environ.get("O2C_EXTERNAL_CONTROL")
        if control:
            self._urls["integration"] = control.rstrip("/")
            self.names.append("integration")
        self.ca_path = Path(info["ca"]) if info.get("ca") else None
        self.control_token = info.get("control_token")   # from <run dir>/control.token

    def url(self, name: str) -> str:
        return self._urls[name]

    def start(self):
        return self

    def stop(self) -> None:
        pass


@pytest.fixture
def world(request, live_harness):
    w = World(live_harness)
    request.node._o2c_world = w
    yield w
    w.stop()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not str(item.fspath).startswith(str(Path(__file__).parent)):
            continue
        if (LIVE or EXTERNAL) and item.get_closest_marker("inprocess"):
            item.add_marker(pytest.mark.skip(reason="uses an in-process-only trick (see docs/gherkin.md)"))
        if EXTERNAL and item.get_closest_marker("reference") and not os.environ.get("O2C_EXTERNAL_CONTROL"):
            item.add_marker(pytest.mark.skip(reason="observes the reference integration's own counters"))


# ---------------------------------------------------------------------------------------------------
# Every scenario ends with the books reconciled
# ---------------------------------------------------------------------------------------------------
def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    w = getattr(request.node, "_o2c_world", None)
    if w is not None:
        w.failed = True
    _REPORT.step(request.node, step, "failed", exception)


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    w = getattr(request.node, "_o2c_world", None)
    if w is not None:
        w.report_fresh = getattr(step_func, "_reconciles", False)
    _REPORT.step(request.node, step, "passed")


def pytest_bdd_before_scenario(request, feature, scenario):
    _REPORT.begin(request.node, feature, scenario)


def pytest_bdd_after_scenario(request, feature, scenario):
    """The automatic after-scenario check: reconcile all four systems; a scenario whose steps passed
    fails here if the books do not reconcile (unless it broke them on purpose and said so)."""
    w = getattr(request.node, "_o2c_world", None)
    if w is None or w._o2c is None or w.failed:
        _REPORT.end(request.node, w)
        return
    if w.expect_broken is None and not w.report_fresh:
        w.report = w.o2c.reconcile()   # (skipped when the last step was "the books reconcile")
    _REPORT.end(request.node, w)
    if w.expect_broken is None and not w.report.ok:
        raise AssertionError("the books do not reconcile after the scenario:\n" + w.report.table())


# ---------------------------------------------------------------------------------------------------
# Reports: cucumber JSON (pytest-bdd) and a self-contained HTML page for finance
# ---------------------------------------------------------------------------------------------------
_REPORT = Report()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Cucumber JSON by default (pytest-bdd's own writer registers it after us); --cucumberjson overrides."""
    config.addinivalue_line("markers", "inprocess: a scenario skipped in live modes (see docs/gherkin.md)")
    config.addinivalue_line("markers", "reference: needs the reference integration's own settings or counters")
    if getattr(config.option, "cucumber_json_path", None) is None:
        REPORTS.mkdir(parents=True, exist_ok=True)
        config.option.cucumber_json_path = str(REPORTS / "cucumber.json")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _REPORT.outcome(item, outcome.get_result())


def pytest_sessionfinish(session, exitstatus):
    if not hasattr(session.config, "workerinput"):
        _REPORT.write(REPORTS / "features.html")


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
