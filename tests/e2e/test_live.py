"""Live-mode smoke of the whole lifecycle: every fake and the integration as server processes.

The fakes are the session's shared live servers (tests/conftest.py); the reference integration is
started here as one more server process, pointed at them (their URLs, their CA) and accepting their
control token, and the test drives all five through one harness view of them."""
import pytest

from simulators.harness import LiveHarness
from simulators.scenario import Lifecycle

from ..conftest import free_port


def joined(fakes: LiveHarness, integration: LiveHarness) -> LiveHarness:
    """One harness over the running fakes and the running integration (it starts and stops nothing:
    its ``stop()`` has no process of its own)."""
    names = [*fakes.names, "integration"]
    view = LiveHarness(fakes.names, ports={**fakes.ports, "integration": integration.ports["integration"]},
                       run_dir=fakes.run_dir, integration=integration.integration)
    assert view.names == names
    view.ca_path, view.control_token = fakes.ca_path, fakes.control_token
    return view


@pytest.fixture()
def live_world(live, tmp_path):
    settings = {"payment_sync": "webhook", "ca_bundle": str(live.ca_path),
                **{f"{name}_url": live.url(name) for name in live.names}}
    integration = LiveHarness([], ports={"integration": free_port()}, run_dir=tmp_path / "integration",
                              integration=settings)
    integration.control_token = live.control_token   # one token for the five servers
    integration.start()
    try:
        world = joined(live, integration)
        world.sync_clocks()   # the integration on the fakes' clock (their now, one anchor for all five)
        yield world
    finally:
        integration.stop()


def test_live_order_to_cash_reconciles(live_world):
    o2c = Lifecycle(live_world)
    o2c.install_integration()
    key = o2c.place_order("CASCADIA-VANCOUVER", [("HW-ROUTER", 2)])
    o2c.activate(key)
    mirror = o2c.wait_for_invoice(key, timeout=60)
    assert mirror["blng__TaxAmount__c"] == 24.0  # BC: GST 5% + PST 7% on 200.00
    declined = o2c.pay(key, "declined")
    assert declined["error"]["code"] == "card_declined"
    o2c.pay(key, "visa")
    o2c.wait_for_paid(key, timeout=60)
    live_world.advance("1d")
    report = o2c.reconcile()
    assert report.ok, report.table()
    assert report.counts["erp_payments"] == 1 and report.counts["stripe_paid"] == 1
