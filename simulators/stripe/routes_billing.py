"""Routes: invoice items, invoices (lifecycle), invoice line items, invoice payments, and the
hosted invoice page / PDF that ``hosted_invoice_url`` and ``invoice_pdf`` point at."""
from __future__ import annotations

import html
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, request

from ..core import invoice_pdf as invoice_pdf_doc

from .errors import InvalidRequest, ResourceMissing
from .routes import expand
from .routes_core import _eq, _one
from .state import StripeState

S = StripeState


def ii_create(st: S, p):
    return st.render(st.lines.create_invoice_item(p), expand(p))


def ii_update(st: S, p, id):
    return st.render(st.lines.update_invoice_item(st.get("invoiceitem", id), p), expand(p))


def ii_delete(st: S, p, id):
    return st.lines.delete_invoice_item(st.get("invoiceitem", id))


def ii_list(st: S, p):
    from . import params as P
    cus, inv = p.get("customer"), p.get("invoice")
    pending = P.boolean(p, "pending")
    return st.render(st.list_objects(
        "invoiceitem", p, "/v1/invoiceitems",
        lambda o: (not cus or o["customer"] == cus) and (not inv or o["invoice"] == inv)
        and (pending is None or (o["invoice"] is None) == pending)), expand(p))


def inv_create(st: S, p):
    return st.render(st.invoices.create(p), expand(p))


def inv_update(st: S, p, id):
    return st.render(st.invoices.update(st.get("invoice", id), p), expand(p))


def inv_delete(st: S, p, id):
    return st.invoices.delete(st.get("invoice", id))


def inv_list(st: S, p):
    cus, status, method = p.get("customer"), p.get("status"), p.get("collection_method")
    if status and status not in ("draft", "open", "paid", "uncollectible", "void"):
        raise InvalidRequest(f"Invalid status: must be one of draft, open, paid, uncollectible, or void",
                             param="status")
    due = p.get("due_date")
    from .state.base import _created_match
    return st.render(st.list_objects(
        "invoice", p, "/v1/invoices",
        lambda o: (not cus or o["customer"] == cus) and (not status or o["status"] == status)
        and (not method or o["collection_method"] == method)
        and (due is None or _created_match(o["due_date"], due))), expand(p))


def _transition(action: str):
    def view(st: S, p, id):
        inv = st.get("invoice", id)
        if action == "finalize":
            st.invoices.finalize(inv, p)
        elif action == "pay":
            st.invoices.pay(inv, p)
        elif action == "send":
            st.invoices.send(inv)
        elif action == "void":
            st.invoices.void(inv)
        elif action == "mark_uncollectible":
            st.invoices.mark_uncollectible(inv)
        elif action == "attach_payment":
            st.invoice_payments.attach_payment(inv, p)
        return st.render(inv, expand(p))
    return view


def lines_list(st: S, p, id):
    inv = st.get("invoice", id, param="invoice")
    ids = [line["id"] for line in inv["lines"]["data"]]
    out = st.list_objects("line_item", p, f"/v1/invoices/{id}/lines", ids=list(reversed(ids)))
    return st.render(out, expand(p))


def lines_update(st: S, p, invoice, line_item_id):
    inv = st.get("invoice", invoice, param="invoice")
    line = st.lines.get_line(inv, line_item_id)
    return st.render(st.lines.update_line(inv, line, p), expand(p))


def inv_update_lines(st: S, p, id):
    return st.render(st.lines.update_lines(st.get("invoice", id), p), expand(p))


def inv_add_lines(st: S, p, id):
    return st.render(st.lines.add_lines(st.get("invoice", id), p), expand(p))


def invoice_payments_list(st: S, p):
    return st.render(st.invoice_payments.list_invoice_payments(p), expand(p))


TABLE = [
    ("POST", "/v1/invoiceitems", "invoiceitems.create", ii_create),
    ("GET", "/v1/invoiceitems", "invoiceitems.list", ii_list),
    ("GET", "/v1/invoiceitems/<id>", "invoiceitems.retrieve", _one("invoiceitem")),
    ("POST", "/v1/invoiceitems/<id>", "invoiceitems.update", ii_update),
    ("DELETE", "/v1/invoiceitems/<id>", "invoiceitems.delete", ii_delete),
    ("POST", "/v1/invoices", "invoices.create", inv_create),
    ("GET", "/v1/invoices", "invoices.list", inv_list),
    ("GET", "/v1/invoices/<id>", "invoices.retrieve", _one("invoice")),
    ("POST", "/v1/invoices/<id>", "invoices.update", inv_update),
    ("DELETE", "/v1/invoices/<id>", "invoices.delete", inv_delete),
    ("POST", "/v1/invoices/<id>/finalize", "invoices.finalize", _transition("finalize")),
    ("POST", "/v1/invoices/<id>/pay", "invoices.pay", _transition("pay")),
    ("POST", "/v1/invoices/<id>/send", "invoices.send", _transition("send")),
    ("POST", "/v1/invoices/<id>/void", "invoices.void", _transition("void")),
    ("POST", "/v1/invoices/<id>/mark_uncollectible", "invoices.mark_uncollectible", _transition("mark_uncollectible")),
    ("POST", "/v1/invoices/<id>/attach_payment", "invoices.attach_payment", _transition("attach_payment")),
    ("GET", "/v1/invoices/<id>/lines", "invoice_lines.list", lines_list),
    ("POST", "/v1/invoices/<invoice>/lines/<line_item_id>", "invoice_lines.update", lines_update),
    ("POST", "/v1/invoices/<id>/update_lines", "invoices.update_lines", inv_update_lines),
    ("POST", "/v1/invoices/<id>/add_lines", "invoices.add_lines", inv_add_lines),
    ("GET", "/v1/invoice_payments", "invoice_payments.list", invoice_payments_list),
    ("GET", "/v1/invoice_payments/<id>", "invoice_payments.retrieve", _one("invoice_payment")),
]


# ---- hosted invoice page and PDF (public: no API key, like invoice.stripe.com) ------------------------------
def _money(amount: int, currency: str) -> str:
    return f"{amount // 100}.{amount % 100:02d} {currency.upper()}"


def hosted_page(st: S, token: str, message: str = "", status: int = 200) -> Response:
    with st.lock:
        inv = st.invoices.invoice_by_token(token)
        if inv is None:
            raise ResourceMissing("invoice", token)
        rows = "".join(f"<tr><td>{html.escape(line['description'] or '')}</td><td>{line['quantity']}</td>"
                       f"<td>{_money(line['amount'], inv['currency'])}</td></tr>" for line in inv["lines"]["data"])
        payable = inv["status"] in ("open", "uncollectible")
        partial = (f'<label>Amount to pay <input name="amount" value="{_major(inv["amount_remaining"])}"></label>'
                   if inv["collection_method"] == "send_invoice" else "")
        form = (f'<form method="post" action="/i/acct_o2c/{token}/pay"><label>Card number '
                f'<input name="card" value="4242424242424242"></label>{partial}<button type="submit">Pay '
                f'{_money(inv["amount_remaining"], inv["currency"])}</button></form>') if payable else ""
        body = (f"<!doctype html><html><head><title>Invoice {html.escape(inv['number'] or inv['id'])}</title></head>"
                f"<body><h1>Invoice {html.escape(inv['number'] or '')}</h1><p id=\"status\">{inv['status']}</p>"
                f"<p id=\"customer\">Billed to {html.escape(inv.get('customer_name') or inv.get('customer_email') or '')}</p>"
                f"<p id=\"due\">Due {_day(inv.get('due_date')) or 'on receipt'}</p>"
                f"<p><a id=\"pdf\" href=\"/invoice/acct_o2c/{token}/pdf\">Download invoice (PDF)</a></p>"
                f"<p>{html.escape(message)}</p><table>{rows}</table>"
                f"<p>Subtotal {_money(inv['subtotal'], inv['currency'])}</p>"
                f"<p>Tax {_money(inv['total'] - inv['subtotal_excluding_tax'], inv['currency'])}</p>"
                f"<p>Amount due {_money(inv['amount_due'], inv['currency'])}</p>"
                f"<p>Amount remaining <span id=\"remaining\">{_money(inv['amount_remaining'], inv['currency'])}</span></p>"
                f"{form}</body></html>")
    return Response(body, status=status, mimetype="text/html")


def _major(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


def _minor(text: str) -> int | None:
    """The page's amount field is in major units ("50.00"); blank means the amount remaining."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidRequest(f"Invalid amount: {text}", param="amount")
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidRequest(f"Invalid amount: {text}", param="amount")
    return int(value * 100)


def hosted_pay(st: S, token: str) -> Response:
    card = request.form.get("card", "")
    with st.lock:
        inv = st.invoices.invoice_by_token(token)
        if inv is None:
            raise ResourceMissing("invoice", token)
        status = 402
        try:
            _, error = st.invoices.pay_hosted(inv, card, _minor(request.form.get("amount", "")))
        except InvalidRequest as exc:
            error, status = exc.body(), 400
    if error:
        return hosted_page(st, token, error["error"]["message"], status)
    return hosted_page(st, token, "Payment received. Thank you!")


def invoice_pdf(st: S, token: str) -> Response:
    """The invoice document behind ``invoice_pdf``: the same PDF the customer portal serves
    (core/invoice_pdf.py), filled from the Stripe invoice."""
    with st.lock:
        inv = st.invoices.invoice_by_token(token)
        if inv is None:
            raise ResourceMissing("invoice", token)
        doc = _document(inv)
    return Response(invoice_pdf_doc.render(doc), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="Invoice-{inv["number"]}.pdf"'})


def _day(ts: int | None):
    return datetime.fromtimestamp(ts, tz=timezone.utc).date() if ts else None


def _document(inv: dict) -> dict:
    """A Stripe invoice as the invoice document's mapping (amounts in major units)."""
    major = lambda minor: Decimal(minor or 0) / 100   # noqa: E731
    addr = inv.get("customer_address") or {}
    issued, due = _day(inv.get("effective_at") or inv.get("created")), _day(inv.get("due_date"))
    tax = inv["total"] - inv["subtotal_excluding_tax"] if inv.get("subtotal_excluding_tax") is not None else 0
    return {
        "number": inv.get("number") or inv["id"], "status": inv["status"], "invoice_date": issued, "due_date": due,
        "terms": f"Net {(due - issued).days}" if due and issued else "Due on receipt", "currency": inv["currency"],
        "bill_to": [inv.get("customer_name"), inv.get("customer_email"), addr.get("line1"),
                    " ".join(x for x in (addr.get("city"), addr.get("state"), addr.get("postal_code")) if x),
                    addr.get("country")],
        "lines": [(line.get("description") or "", line.get("quantity") or 1,
                   major(line["amount"]) / (line.get("quantity") or 1), major(line["amount"]))
                  for line in inv["lines"]["data"]],
        "tax": [("Sales tax", major(tax))], "subtotal": major(inv.get("subtotal")), "tax_total": major(tax),
        "total": major(inv["total"]), "paid": major(inv.get("amount_paid")), "balance": major(inv.get("amount_remaining")),
    }


def register_hosted(app, st: S) -> None:
    app.add_url_rule("/i/acct_o2c/<token>", endpoint="hosted.page", view_func=lambda token: hosted_page(st, token),
                     methods=["GET"])
    app.add_url_rule("/i/acct_o2c/<token>/pay", endpoint="hosted.pay", view_func=lambda token: hosted_pay(st, token),
                     methods=["POST"])
    app.add_url_rule("/invoice/acct_o2c/<token>/pdf", endpoint="hosted.pdf",
                     view_func=lambda token: invoice_pdf(st, token), methods=["GET"])
