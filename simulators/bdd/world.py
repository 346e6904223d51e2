"""The world of the Gherkin step library: the harness + reference integration + Lifecycle one
scenario acts on, the automatic reconciliation after every scenario, and the reports.

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

See docs/gherkin.md and docs/steps.md.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from simulators.harness import InProcessHarness, LiveHarness
from simulators.scenario import Lifecycle

from .report import Report

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
            if isinstance(h, InProcessHarness):
                h.start()   # routing (and the network guard) only while a scenario runs
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
        if self.h is not None and (self.live_harness is None or isinstance(self.h, InProcessHarness)):
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
        # started by each scenario that uses it and stopped after it (World._start, World.stop)
        yield InProcessHarness(start=START, integration={"payment_sync": "webhook", "system_of_record": "erp",
                                                         "poll_interval": 300})
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


def is_scenario(item) -> bool:
    """A test pytest-bdd made from a feature file (any module's ``scenarios()``)."""
    return "_pytest_bdd_example" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not is_scenario(item):
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
