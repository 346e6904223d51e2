"""Customer billing portal: the customer's billing clerk signs in, sees the account's invoices,
downloads one as a PDF, pays it in full or in part, and disputes it; another account's invoice
stays invisible. The steps drive the portal's pages over HTTP as a browser would (form posts with
the page's CSRF token), through the harness's routing in-process or the fake's HTTPS live."""
from __future__ import annotations

import io
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import requests
from pypdf import PdfReader
from pytest_bdd import given, parsers, then, when

from simulators.scenario import CARDS

from .common import CARD_NAMES
from .world import money

PASSWORD = "o2c-portal-password"


class _Page(HTMLParser):
    """What the steps read off a portal page: hidden form fields, each table's rows (cell texts, and
    the row's ``data-invoice``), and all the text."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.text: list[str] = []
        self._table: str | None = None
        self._row: dict[str, Any] | None = None
        self.feed(html)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The invoice list: one mapping per invoice row."""
        names = ("number", "invoice_date", "due_date", "total", "balance", "status")
        return [{"id": r["id"], **dict(zip(names, r["cells"]))} for r in self.tables.get("invoices", []) if r["id"]]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "table":
            self._table = a.get("id") or ""
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self._row = {"id": a.get("data-invoice"), "cells": []}
        elif tag in ("td", "th") and self._row is not None:
            self._row["cells"].append("")

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self._row["cells"] = [c.strip() for c in self._row["cells"]]
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._row is not None and self._row["cells"]:
            self._row["cells"][-1] += data


class PortalVisitor:
    """One browser session on the portal (cookies kept), as the customer's billing clerk."""

    def __init__(self, h, customer_key: str):
        self.base = h.url("salesforce") + "/billing/s"
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = str(h.ca_path) if getattr(h, "ca_path", None) else True
        self.username = f"billing@{customer_key.lower()}.o2c.test"
        self.last: requests.Response | None = None

    def get(self, path: str) -> requests.Response:
        self.last = self.http.get(self.base + path, timeout=60)
        return self.last

    def post(self, path: str, form: dict[str, str], page: _Page) -> requests.Response:
        self.last = self.http.post(self.base + path, data={**page.fields, **form}, timeout=60)
        return self.last

    def sign_in(self) -> None:
        page = _Page(self.get("/login").text)
        resp = self.post("/login", {"username": self.username, "password": PASSWORD}, page)
        assert resp.status_code == 200 and "/invoices" in resp.url, (resp.status_code, resp.text[:500])

    def invoices(self) -> list[dict[str, Any]]:
        resp = self.get("/invoices")
        assert resp.status_code == 200, resp.status_code
        return _Page(resp.text).rows

    def invoice_page(self, mirror_id: str) -> requests.Response:
        return self.get(f"/invoice/{mirror_id}")

    def pay(self, mirror_id: str, card: str, amount: Any = None) -> requests.Response:
        page = _Page(self.invoice_page(mirror_id).text)
        form = {"card": card, "choice": "part" if amount is not None else "full"}
        if amount is not None:
            form["amount"] = f"{money(amount):.2f}"
        return self.post(f"/invoice/{mirror_id}/pay", form, page)

    def dispute(self, mirror_id: str, text: str) -> requests.Response:
        page = _Page(self.invoice_page(mirror_id).text)
        return self.post(f"/invoice/{mirror_id}/case", {"type": "Invoice Dispute", "description": text}, page)


def _visitor(world) -> PortalVisitor:
    if getattr(world, "portal", None) is None:
        raise AssertionError("the customer has not signed in to the billing portal")
    return world.portal


def _customer_of(world, key: str | None = None) -> str:
    key = key or world.current
    return next(c for c, k in world.orders.items() if k == key)


def _row(world, key: str | None = None) -> dict[str, Any]:
    number = world.o2c.mirror(key or world.current)
    rows = _visitor(world).invoices()
    wanted = number.get("ERP_Document_Number__c") or number["Name"]
    match = [r for r in rows if r["number"] == wanted]
    assert len(match) == 1, (wanted, rows)
    return match[0]


def _card(card: str) -> str:
    name = CARD_NAMES.get(card, card)
    return CARDS.get(name, name)


@given("the customer signs in to the billing portal")
@when("the customer signs in to the billing portal")
def sign_in(world):
    world.portal = PortalVisitor(world.o2c.h, _customer_of(world))
    world.portal.sign_in()


@given(parsers.parse('the billing clerk of "{customer}" signs in to the billing portal'))
@when(parsers.parse('the billing clerk of "{customer}" signs in to the billing portal'))
def clerk_signs_in(world, customer):
    world.current = world.orders[customer]
    sign_in(world)


@then(parsers.parse("the portal lists the invoice as {status} with a balance of {amount}"))
def listed_as(world, status, amount):
    world.o2c.h.settle()
    row = _row(world)
    assert row["status"] == status and money(row["balance"].split()[0]) == money(amount), row


@then("the portal shows the tax of each jurisdiction as the tax engine committed it")
def tax_by_jurisdiction(world):
    m = world.o2c.mirror(world.current)
    doc = world.o2c.tax.get(m["AvaTax_Document_Code__c"])
    wanted = sorted((f"{s['jurisName']} {s['jurisType']} {s['taxName']} ({(Decimal(str(s['rate'])) * 100).normalize():f}%)",
                     money(s["tax"])) for s in doc["summary"])
    page = _Page(_visitor(world).invoice_page(m["Id"]).text)
    shown = sorted((cells[0], money(cells[1])) for cells in (r["cells"] for r in page.tables["totals"])
                   if cells[0] not in ("Subtotal", "Total", "Balance due"))
    assert shown == wanted and len(wanted) > 1, (shown, wanted)
    assert sum(a for _, a in shown) == money(m["blng__TaxAmount__c"])


@then("the portal lists only the customer's own invoices")
def only_own(world):
    mine = {world.o2c.mirror(k)["Id"][:15] for c, k in world.orders.items() if c == _customer_of(world)}
    listed = {r["id"][:15] for r in _visitor(world).invoices()}
    assert listed == mine, (listed, mine)


@when("the customer downloads the invoice PDF from the portal")
def download_pdf(world):
    resp = _visitor(world).get(f"/invoice/{world.o2c.mirror(world.current)['Id']}/pdf")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/pdf"), resp.status_code
    world.pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)


@then(parsers.parse("the PDF shows the invoice number, the customer's name and a balance due of {amount}"))
def pdf_shows(world, amount):
    m = world.o2c.mirror(world.current)
    account = world.o2c.sf.query(f"SELECT Name FROM Account WHERE Customer_Key__c = '{_customer_of(world)}'")[0]
    text = world.pdf_text
    assert (m.get("ERP_Document_Number__c") or m["Name"]) in text and account["Name"] in text, text
    assert f"{money(amount):,.2f}" in text, text


@when(parsers.parse("the customer pays the balance on the portal with {card}"))
def pay_balance(world, card):
    world.last = _visitor(world).pay(world.o2c.mirror(world.current)["Id"], _card(card))


@when(parsers.re(r"the customer pays (?P<amount>[0-9][0-9.,]*) on the portal with (?P<card>.+)"))
def pay_part(world, amount, card):
    world.last = _visitor(world).pay(world.o2c.mirror(world.current)["Id"], _card(card), amount)


@then("the portal shows the payment as processing")
def processing(world):
    page = _Page(world.last.text)
    assert world.last.status_code == 200 and "processing" in " ".join(page.text).lower(), world.last.text[:800]


@then(parsers.parse('the portal says the payment was declined: "{reason}"'))
def declined(world, reason):
    page = " ".join(_Page(world.last.text).text)
    assert world.last.status_code == 402 and reason in page, (world.last.status_code, page[:800])


@when(parsers.parse('the customer disputes the invoice on the portal: "{text}"'))
def dispute(world, text):
    world.last = _visitor(world).dispute(world.o2c.mirror(world.current)["Id"], text)
    assert world.last.status_code == 200, world.last.status_code


@then("an open case in Salesforce names the invoice as disputed")
def case_open(world):
    m = world.o2c.mirror(world.current)
    cases = world.o2c.sf.query(f"SELECT Id, Type, Status, Origin FROM Case WHERE Invoice__c = '{m['Id']}'")
    assert [(c["Type"], c["Status"], c["Origin"]) for c in cases] == [("Invoice Dispute", "New", "Customer Portal")]
    assert world.o2c.mirror(world.current)["Dispute_Status__c"] == "Open"


@when(parsers.parse('the customer opens the invoice of "{customer}" on the portal'))
def open_other(world, customer):
    world.last = _visitor(world).invoice_page(world.o2c.mirror(world.orders[customer])["Id"])


@then("the portal answers that the page does not exist")
def not_there(world):
    assert world.last.status_code == 404, world.last.status_code
    assert "does not exist" in " ".join(_Page(world.last.text).text)
