"""``make demo`` / ``o2c demo``: start the fakes live, run a real round trip through the official
SDKs, print what happened, stop everything. Exits non-zero if anything is wrong."""
from __future__ import annotations

import socket
from decimal import Decimal
from pathlib import Path

from .harness import LiveHarness
from .registry import FAKES, available


def _port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def tax_round_trip(h: LiveHarness) -> bool:
    from avalara import AvataxClient

    client = AvataxClient("o2c-demo", "1.0", "demo", h.url("avalara"), timeout_limit=30)
    client.add_credentials("123456", "o2c-license-key")
    ping = client.ping().json()
    print(f"\nAvaTax ping: authenticated={ping['authenticated']} ({ping['authenticationType']})")
    order = {
        "type": "SalesInvoice", "code": "DEMO-INV-0001", "companyCode": "DEFAULT", "date": h.now().date().isoformat(),
        "customerCode": "WINDY-CHICAGO", "commit": True,
        "addresses": {"shipTo": {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL",
                                 "postalCode": "60601", "country": "US"}},
        "lines": [
            {"number": "1", "itemCode": "HW-ROUTER", "quantity": 2, "amount": 200, "taxCode": "P0000000"},
            {"number": "2", "itemCode": "FREIGHT", "quantity": 1, "amount": 50, "taxCode": "FR020100"},
        ],
    }
    resp = client.create_transaction(order)
    doc = resp.json()
    if resp.status_code != 201:
        print(f"create failed: {resp.status_code} {doc}")
        return False
    print(f"\nSalesInvoice {doc['code']} -> {doc['status']} (HTTP {resp.status_code}, "
          f"X-Correlation-Id {resp.headers['X-Correlation-Id']})")
    print(f"  {'line':<5}{'item':<12}{'amount':>10}{'taxable':>10}{'tax':>8}")
    for line in doc["lines"]:
        print(f"  {line['lineNumber']:<5}{line['itemCode']:<12}{line['lineAmount']:>10.2f}"
              f"{line['taxableAmount']:>10.2f}{line['tax']:>8.2f}")
    print("  by jurisdiction:")
    for s in doc["summary"]:
        print(f"    {s['jurisType']:<8}{s['jurisName']:<36}{s['rate'] * 100:>7.3f}%{s['tax']:>8.2f}")
    print(f"  total {doc['totalAmount']:.2f} + tax {doc['totalTax']:.2f}")
    # 200.00 x 10.25% (Chicago) = 20.50; freight is not taxed in Illinois (fixtures/tax/taxcodes.json)
    ok = Decimal(str(doc["totalTax"])) == Decimal("20.50")
    voided = client.void_transaction("DEFAULT", "DEMO-INV-0001", {"code": "DocVoided"}).json()
    print(f"  voided -> {voided['status']}")
    ok = ok and voided["status"] == "Cancelled"
    errors = client.get_transaction_by_code("DEFAULT", "NO-SUCH-DOC").json()["error"]
    print(f"  unknown document -> {errors['code']} #{errors['details'][0]['number']}")
    return ok and errors["code"] == "EntityNotFoundError"


def run(run_dir: Path) -> int:
    names = available()
    ports = {n: _port(FAKES[n].port) for n in names}
    h = LiveHarness(names, ports=ports, run_dir=run_dir, clock_mode="frozen")
    print("starting the fakes live on loopback ...")
    with h:
        for n in names:
            print(f"  {n:<11} {h.url(n)}")
        print(f"  CA bundle   {h.ca_path}")
        ok = tax_round_trip(h)
        journal = h.control("avalara").get("/journal")
        print(f"\nAvaTax journal: {journal['total']} requests recorded")
    print("\nall fakes stopped.")
    print("demo OK" if ok else "demo FAILED")
    return 0 if ok else 1
