"""A user's own test file: it knows only the installed package and its pytest plugin."""
import urllib.error
import urllib.request

import pytest
import stripe
from simple_salesforce import Salesforce

from simulators.core.netguard import VendorNetworkBlocked
from simulators.pytest_plugin import started_at


def test_my_integration_creates_a_customer(o2c):
    client = stripe.StripeClient("sk_test_mine")
    assert client.v1.customers.create(params={"email": "ap@example.test"}).id.startswith("cus_")
    assert len(client.v1.customers.list().data) == 1


def test_each_test_starts_from_a_reset_world_on_a_frozen_clock(o2c):
    assert stripe.StripeClient("sk_test_mine").v1.customers.list().data == []
    assert o2c.now() == started_at(o2c)
    o2c.advance("3d")


def test_salesforce_through_simple_salesforce(o2c):
    sf = Salesforce(username="integration@o2c.test", password="o2c-password", security_token="O2CTOKEN")
    assert sf.query("SELECT Id FROM Account")["totalSize"] > 0


def test_other_clients_cannot_reach_the_real_vendor(o2c):
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen("https://api.stripe.com/v1/customers", timeout=5)
    assert isinstance(info.value.reason, VendorNetworkBlocked)


@pytest.mark.o2c(fakes=["stripe"], validation="lenient")
def test_a_marker_picks_fakes_and_settings(o2c):
    assert o2c.names == ["stripe"]
    assert o2c.control("stripe").get("/validation")["mode"] == "lenient"


@pytest.mark.o2c(integration="webhook")
def test_the_reference_integration_on_request(o2c):
    import requests
    status = requests.get(o2c.url("integration") + "/_integration/status").json()
    assert status["installed"] and status["config"]["payment_sync"] == "webhook"


def test_live_fakes(o2c_live):
    client = stripe.StripeClient("sk_test_mine", base_addresses={"api": o2c_live.url("stripe")})
    assert client.v1.customers.create(params={}).id.startswith("cus_")
