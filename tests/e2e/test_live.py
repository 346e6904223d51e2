"""Live-mode smoke of the whole lifecycle: every fake and the integration as server processes."""
import pytest

from simulators.harness import LiveHarness
from simulators.scenario import Lifecycle

from ..conftest import free_port


@pytest.fixture(scope="module")
def live_world(tmp_path_factory):
    names = ["salesforce", "stripe", "avalara", "erp"]
    h = LiveHarness(names, ports={n: free_port() for n in names + ["integration"]},
                    run_dir=tmp_path_factory.mktemp("o2c-live-e2e"), integration={"payment_sync": "webhook"})
    h.start()
    yield h
    h.stop()


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
