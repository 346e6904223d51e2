"""The same SDK calls against the live server process (loopserver on loopback)."""
from .conftest import client_for, estimate, irvine


def test_live_round_trip_through_the_official_sdk(live):
    avatax = client_for(live.url("avalara"))
    assert avatax.ping().json()["authenticated"] is True
    created = avatax.create_transaction(irvine(100, commit=True))
    assert created.status_code == 201 and created.json()["totalTax"] == 7.75
    assert created.headers["X-Correlation-Id"]
    assert avatax.void_transaction("DEFAULT", "INV-1", {"code": "DocVoided"}).json()["status"] == "Cancelled"
    assert avatax.create_transaction(estimate("nyc", 99.99)).json()["totalTax"] == 8.87


def test_live_errors_and_faults(live):
    avatax = client_for(live.url("avalara"))
    assert avatax.get_transaction_by_code("DEFAULT", "nope").json()["error"]["code"] == "EntityNotFoundError"
    live.control("avalara").add_fault(operation="transactions.create", error={"code": "ServiceUnavailable"}, times=1)
    assert avatax.create_transaction(estimate("irvine", 10)).status_code == 503
    assert avatax.create_transaction(estimate("irvine", 10)).status_code == 201


def test_live_dropped_connection(live):
    import pytest
    import requests
    live.control("avalara").add_fault(operation="transactions.create", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        client_for(live.url("avalara")).create_transaction(estimate("irvine", 10))


def test_live_clock_is_shared_and_advances(live):
    before = live.now()
    live.advance("2d")
    assert (live.now() - before).days == 2


def test_live_new_operations_inline_and_in_workers(live):
    """Reads (inline on the event loop) and writes (worker threads) of the newer SDK methods, live."""
    avatax = client_for(live.url("avalara"))
    made = avatax.create_transaction(irvine(100, code="LV-1")).json()
    assert avatax.get_transaction_by_id(made["id"]).json()["code"] == "LV-1"
    assert avatax.get_transaction_by_code_and_type("DEFAULT", "LV-1", "SalesInvoice").json()["id"] == made["id"]
    settled = avatax.settle_transaction("DEFAULT", "LV-1", {"commit": {"commit": True}}).json()
    assert settled["status"] == "Committed"
    west = avatax.create_companies([{"companyCode": "WEST"}]).json()[0]
    avatax.create_customers(west["id"], [{"customerCode": "C-1"}])
    assert avatax.query_customers(west["id"], {"$filter": "customerCode eq 'C-1'"}).json()["@recordsetCount"] == 1
    assert avatax.query_tax_codes({"$filter": "(taxCode eq 'x'"}).json()["error"]["code"] == "OpenClauseException"
    assert avatax.tax_rates_by_postal_code({"country": "US", "postalCode": "92614"}).json()["totalRate"] == 0.0775
