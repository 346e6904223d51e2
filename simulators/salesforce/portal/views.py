"""The portal's pages (a Flask blueprint under ``/billing/s``): login, invoices, invoice detail, PDF,
pay online, payment history, dispute / billing question, logout. docs/portal.md describes them."""
from __future__ import annotations

import os
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from simulators.core import invoice_pdf

from ..state.portal_users import account_of
from .payments import PaymentError, StripeGateway
from .records import STATUSES, Shared, money, tax_rows
from .sessions import COOKIE, PortalSessions

ORIGIN = "com/salesforce/experience/billing"
STRIPE_URL_ENV = "O2C_PORTAL_STRIPE_URL"
MIN_PAYMENT = Decimal("0.50")   # Stripe's minimum charge in USD
LOGIN_FAILED = "Your login attempt has failed. Make sure the username and password are correct."


def blueprint(org) -> Blueprint:
    bp = Blueprint("portal", __name__, url_prefix="/billing/s", template_folder="templates")
    sessions = PortalSessions(org)

    def tx():
        return org.db.transaction(origin=ORIGIN, base_url=f"https://{request.host}" if org.live else None)

    def set_cookie(resp: Response, sid: str) -> Response:
        resp.set_cookie(COOKIE, sid, httponly=True, samesite="Lax", secure=request.is_secure, path="/billing/s")
        return resp

    page, error = _page, _error

    @bp.before_request
    def _session():
        s = sessions.get(request.cookies.get(COOKIE))
        g.portal_session = s
        g.portal_account = None
        if s and s.get("user"):
            with tx():
                g.portal_account = account_of(org, s["user"])
        public = request.endpoint in ("portal.login", "portal.logout")
        if not public and g.portal_account is None:
            return redirect(url_for("portal.login", startURL=request.path))
        if request.method == "POST" and not sessions.csrf_ok(s, request.form.get("csrf_token")):
            return error(403, "Request refused", "This form has expired or did not come from the portal. "
                                                 "Reload the page and try again.")
        return None

    def shared() -> Shared:
        return Shared(org, g.portal_account["Id"])

    @bp.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            if g.portal_account is not None:
                return redirect(url_for("portal.invoices"))
            sid, g.portal_session = sessions.new()
            return set_cookie(page("login.html", start=_local(request.args.get("startURL"))), sid)
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        user = None if sessions.locked(username) else org.security.check_password(username, password)
        if user is None or not user.get("account_id"):
            sessions.failed(username)
            return page("login.html", 401, message=LOGIN_FAILED, username=username,
                        start=_local(request.form.get("startURL")))
        sessions.succeeded(username)
        sessions.drop(request.cookies.get(COOKIE))          # a new session id on login (no fixation)
        sid, _ = sessions.new(user["username"], user["account_id"])
        return set_cookie(redirect(_local(request.form.get("startURL")) or url_for("portal.invoices"), 303), sid)

    @bp.post("/logout")
    def logout():
        sessions.drop(request.cookies.get(COOKIE))
        resp = redirect(url_for("portal.login"), 303)
        resp.delete_cookie(COOKIE, path="/billing/s")
        return resp

    @bp.get("/")
    def home():
        return redirect(url_for("portal.invoices"))

    @bp.get("/invoices")
    def invoices():
        status = request.args.get("status") or None
        if status and status not in STATUSES:
            status = None
        with tx():
            rows = shared().invoices(status)
        return page("invoices.html", invoices=rows, status=status)

    def detail(invoice_id: str) -> dict[str, Any]:
        with tx():
            sh = shared()
            inv = sh.invoice(invoice_id)
            if inv is None:
                abort(404)
            pending = _pending(org, inv)
            return {"inv": inv, "lines": sh.lines(inv["Id"]), "payments": sh.payments(inv["Id"]),
                    "cases": sh.cases(inv["Id"]), "pending": pending, "tax": tax_rows(inv, g.portal_account)}

    @bp.get("/invoice/<invoice_id>")
    def invoice(invoice_id: str):
        d = detail(invoice_id)
        attempt = secrets.token_urlsafe(12)
        g.portal_session["attempts"][d["inv"]["Id"]] = attempt
        return page("invoice.html", attempt=attempt, message=request.args.get("m"), **d)

    @bp.get("/invoice/<invoice_id>/pdf")
    def pdf(invoice_id: str):
        d = detail(invoice_id)
        body = invoice_pdf.render(document(org, g.portal_account, d))
        name = d["inv"].get("ERP_Document_Number__c") or d["inv"]["Name"]
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="Invoice-{name}.pdf"',
                                 "Cache-Control": "no-store"})

    @bp.post("/invoice/<invoice_id>/pay")
    def pay(invoice_id: str):
        d = detail(invoice_id)
        inv = d["inv"]
        attempt = g.portal_session["attempts"].get(inv["Id"])
        if not attempt or request.form.get("attempt") != attempt:
            return error(409, "Payment already submitted", "This payment form was already used. "
                                                           "Open the invoice again to make another payment.")
        if not inv.get("Stripe_Invoice_Id__c") or inv["status"] in ("Paid",):
            return error(409, "Nothing to pay", "This invoice cannot be paid online.")
        gateway = StripeGateway(stripe_url(org), org.settings["portal_stripe_key"])
        try:
            si = gateway.invoice(inv["Stripe_Invoice_Id__c"])
            amount = _amount(request.form, si)
            pi = gateway.pay(si, amount, (request.form.get("card") or "").replace(" ", ""),
                             f"portal-{inv['Id']}-{attempt}", f"Payment of invoice {inv['Name']} (billing portal)")
        except PaymentError as exc:
            return page("invoice.html", 402, attempt=attempt, failure=exc.message, **d)
        g.portal_session["attempts"].pop(inv["Id"], None)
        with org.store.lock:
            org.store.data["portal"]["pending"].setdefault(inv["Id"][:15], []).append(
                {"payment_intent": pi["id"], "amount": str(Decimal(pi["amount"]) / 100),
                 "balance_before": str(money(inv.get("blng__Balance__c")))})
        return redirect(url_for("portal.invoice", invoice_id=inv["Id"], m="processing"), 303)

    @bp.get("/payments")
    def payments():
        with tx():
            rows = shared().payments()
        return page("payments.html", payments=rows)

    @bp.post("/invoice/<invoice_id>/case")
    def case(invoice_id: str):
        d = detail(invoice_id)
        kind = request.form.get("type")
        text = (request.form.get("description") or "").strip()
        if kind not in ("Invoice Dispute", "Billing Question", "Extend Due Date") or not text:
            return page("invoice.html", 400, attempt=g.portal_session["attempts"].get(d["inv"]["Id"]),
                        case_error="Choose a request type and describe your question.", **d)
        user = org.security.user(g.portal_session["user"])
        with tx():
            rec = org.db.create("Case", {
                "AccountId": g.portal_account["Id"], "ContactId": user.get("contact_id"),
                "Invoice__c": d["inv"]["Id"], "Origin": "Customer Portal", "Type": kind, "Status": "New",
                "Subject": f"{kind}: invoice {d['inv']['Name']}"[:255], "Description": text[:32000],
                "SuppliedEmail": user["username"]})
            if kind == "Invoice Dispute":   # the dunning flow skips disputed invoices (state/dunning.py)
                org.db.update("blng__Invoice__c", d["inv"]["Id"], {"Dispute_Status__c": "Open"})
            number = org.db.find(rec["Id"], "Case")["CaseNumber"]
        return redirect(url_for("portal.invoice", invoice_id=d["inv"]["Id"], m=f"case:{number}"), 303)

    @bp.errorhandler(404)
    def _not_found(exc):
        return not_found()

    return bp


def _page(template: str, status: int = 200, **ctx: Any) -> Response:
    s = g.get("portal_session")
    resp = Response(render_template(template, session=s, csrf=s["csrf"] if s else "",
                                    account=g.get("portal_account"), statuses=STATUSES, **ctx),
                    status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = ("default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                               "frame-ancestors 'none'")
    return resp


def _error(status: int, title: str, message: str) -> Response:
    return _page("error.html", status, title=title, message=message)


def not_found() -> Response:
    """A record of another account answers exactly like a missing one."""
    return _error(404, "Page not found", "The page you requested does not exist or you do not have access to it.")


def stripe_url(org) -> str:
    """Where the portal reaches Stripe: the setting ``portal_stripe_url`` (control plane), else
    ``$O2C_PORTAL_STRIPE_URL`` (the live harness passes the Stripe fake's URL), else Stripe's own host
    (in-process the harness routes it to the fake)."""
    return org.settings.get("portal_stripe_url") or os.environ.get(STRIPE_URL_ENV) or "https://api.stripe.com"


def _local(url: str | None) -> str | None:
    """Only a path on this site (no open redirect)."""
    if not url:
        return None
    parts = urlparse(url)
    return url if not parts.scheme and not parts.netloc and url.startswith("/billing/s/") else None


def _amount(form, si: dict[str, Any]) -> int:
    """The amount to charge in minor units, computed by the server: the Stripe invoice's amount
    remaining, or the part the customer typed (at least 0.50, at most the amount remaining)."""
    remaining = int(si.get("amount_remaining") or 0)
    if si.get("status") != "open" or remaining <= 0:
        raise PaymentError("This invoice has no open balance to pay.")
    if form.get("choice") != "part":
        return remaining
    try:
        value = Decimal((form.get("amount") or "").replace(",", "").strip())
    except InvalidOperation:
        raise PaymentError("Enter the amount to pay, for example 50.00.")
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or value < MIN_PAYMENT:
        raise PaymentError(f"Enter an amount of at least {MIN_PAYMENT} with at most two decimals.")
    minor = int(value * 100)
    if minor > remaining:
        raise PaymentError(f"The amount is more than the balance due ({Decimal(remaining) / 100:.2f}).")
    return minor


def _pending(org, inv: dict[str, Any]) -> list[dict[str, Any]]:
    """Portal payments not yet reflected in the mirror (the integration has not synced them): shown as
    "processing" until the mirror's balance has come down by their amount."""
    key = inv["Id"][:15]
    items = org.store.data["portal"]["pending"].get(key, [])
    balance = money(inv.get("blng__Balance__c"))
    left = [p for p in items if balance > money(p["balance_before"]) - money(p["amount"])]
    if len(left) != len(items):
        org.store.data["portal"]["pending"][key] = left
    return left


def document(org, account: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    inv = d["inv"]
    total, balance = money(inv.get("blng__TotalAmount__c")), money(inv.get("blng__Balance__c"))
    days = (inv["blng__DueDate__c"] - inv["blng__InvoiceDate__c"]).days \
        if inv.get("blng__DueDate__c") and inv.get("blng__InvoiceDate__c") else None
    return {
        "number": inv.get("ERP_Document_Number__c") or inv["Name"], "status": inv["status"],
        "invoice_date": inv.get("blng__InvoiceDate__c"), "due_date": inv.get("blng__DueDate__c"),
        "terms": f"Net {days}" if days is not None else "", "currency": "USD",
        "bill_to": [account.get("Name"), account.get("BillingStreet"),
                    " ".join(x for x in (account.get("BillingCity"), account.get("BillingState"),
                                         account.get("BillingPostalCode")) if x), account.get("BillingCountry")],
        "lines": [(line.get("Name") or line.get("product_code") or "", line.get("blng__Quantity__c") or 0,
                   money(line.get("blng__UnitPrice__c")), money(line.get("blng__Subtotal__c"))) for line in d["lines"]],
        "tax": d["tax"],
        "subtotal": money(inv.get("blng__Subtotal__c")), "tax_total": money(inv.get("blng__TaxAmount__c")),
        "total": total, "paid": total - balance, "balance": balance,
    }
