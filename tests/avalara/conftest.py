import pytest
from avalara import AvataxClient


def client_for(base: str, account: str = "123456", key: str = "o2c-license-key") -> AvataxClient:
    # The official SDK takes any http(s) URL as its environment (avalara/client.py).
    env = "sandbox" if base == "https://sandbox-rest.avatax.com" else base
    client = AvataxClient("o2c-tests", "1.0", "ci", env, timeout_limit=30)
    return client.add_credentials(account, key) if account else client


@pytest.fixture
def avatax(harness):
    return client_for(harness.url("avalara"))


def irvine(amount, code="INV-1", doc_type="SalesInvoice", commit=False, tax_code="P0000000", **extra):
    model = {
        "type": doc_type, "code": code, "companyCode": "DEFAULT", "date": "2026-01-05", "customerCode": "ACME-IRVINE",
        "commit": commit,
        "addresses": {"shipTo": {"line1": "2000 Main St", "city": "Irvine", "region": "CA", "postalCode": "92614",
                                 "country": "US"}},
        "lines": [{"number": "1", "amount": amount, "taxCode": tax_code, "itemCode": "HW-ROUTER"}],
    }
    model.update(extra)
    return model


ADDRESSES = {
    "irvine": {"line1": "2000 Main St", "city": "Irvine", "region": "CA", "postalCode": "92614", "country": "US"},
    "chicago": {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL", "postalCode": "60601", "country": "US"},
    "nyc": {"line1": "20 W 34th St", "city": "New York", "region": "NY", "postalCode": "10001", "country": "US"},
    "austin": {"line1": "100 Congress Ave", "city": "Austin", "region": "TX", "postalCode": "78701", "country": "US"},
    "portland": {"line1": "1120 SW 5th Ave", "city": "Portland", "region": "OR", "postalCode": "97201", "country": "US"},
    "london": {"line1": "10 Downing St", "city": "London", "region": "", "postalCode": "SW1A 2AA", "country": "GB"},
    "vancouver": {"line1": "800 Robson St", "city": "Vancouver", "region": "BC", "postalCode": "V6B 2Z2", "country": "CA"},
}


def estimate(place, amount, tax_code="P0000000", **extra):
    model = {"type": "SalesOrder", "date": "2026-01-05", "customerCode": "C1",
             "addresses": {"singleLocation": ADDRESSES[place]},
             "lines": [{"number": "1", "amount": amount, "taxCode": tax_code}]}
    model.update(extra)
    return model
