import re

import pytest

from simulators.harness import InProcessHarness
from simulators.scenario import Lifecycle

PASSWORD = "o2c-portal-password"


def user(key: str) -> str:
    return f"billing@{key.lower()}.o2c.test"


def form_value(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no {name} in the page"
    return m.group(1)


class Browser:
    """A werkzeug test client with the portal's forms filled in."""

    def __init__(self, app):
        self.c = app.test_client()

    def login(self, username: str, password: str = PASSWORD):
        page = self.c.get("/billing/s/login")
        return self.c.post("/billing/s/login", data={"csrf_token": form_value(page.text, "csrf_token"),
                                                     "username": username, "password": password})

    def invoice(self, invoice_id: str):
        return self.c.get(f"/billing/s/invoice/{invoice_id}")

    def pay(self, invoice_id: str, card: str = "4242424242424242", amount: str | None = None, **override):
        page = self.invoice(invoice_id)
        data = {"csrf_token": form_value(page.text, "csrf_token"), "attempt": form_value(page.text, "attempt"),
                "choice": "part" if amount else "full", "amount": amount or "", "card": card}
        data.update(override)
        return self.c.post(f"/billing/s/invoice/{invoice_id}/pay", data={k: v for k, v in data.items() if v is not None})


@pytest.fixture(scope="module")
def world():
    """Two customers with one invoice each (the reference integration publishes them)."""
    h = InProcessHarness(integration={"payment_sync": "webhook", "poll_interval": 300})
    h.start()
    o2c = Lifecycle(h)
    o2c.install_integration()
    keys = {}
    for cust, sku in (("ACME-IRVINE", "HW-ROUTER"), ("WINDY-CHICAGO", "HW-ROUTER")):
        k = o2c.place_order(cust, [(sku, 1)])
        o2c.activate(k)
        keys[cust] = k
    for k in keys.values():
        o2c.wait_for_invoice(k)
    yield h, o2c, keys
    h.stop()
