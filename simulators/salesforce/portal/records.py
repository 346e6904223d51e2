"""What a portal user may see: the invoice mirror, its lines and payments, and Cases, of the user's
own Account only (the portal's sharing set: ``blng__Account__c`` / ``AccountId`` = the user's
Account). A record of another account is treated exactly like a missing one (404), so ids cannot be
probed. Status shown to customers, as text: Disputed, Paid, Overdue, Partially Paid, Posted."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

STATUSES = ("Posted", "Partially Paid", "Overdue", "Paid", "Disputed")
VISIBLE = ("Posted",)   # draft, cancelled and rebilled invoices are not shown to customers
OPEN_DISPUTE = ("Open", "Under Review")


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a[:15] == b[:15]


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def tax_rows(inv: dict[str, Any], account: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """Tax by jurisdiction, from the mirror's ``Tax_Jurisdictions__c`` (``name|rate|tax`` lines the
    integration copies from the committed AvaTax document); one "Sales tax (place)" row without it."""
    rows = []
    for line in (inv.get("Tax_Jurisdictions__c") or "").splitlines():
        parts = line.split("|")
        if len(parts) != 3:
            continue
        try:
            rate, tax = Decimal(parts[1]), money(parts[2])
        except ArithmeticError:
            continue
        rows.append((f"{parts[0]} ({(rate * 100).normalize():f}%)", tax))
    if rows:
        return rows
    place = ", ".join(x for x in (account.get("BillingCity"), account.get("BillingState"),
                                  account.get("BillingCountry")) if x)
    return [(f"Sales tax ({place})" if place else "Sales tax", money(inv.get("blng__TaxAmount__c")))]


def status_of(inv: dict[str, Any], today: date) -> str:
    if inv.get("Dispute_Status__c") in OPEN_DISPUTE:
        return "Disputed"
    if inv.get("blng__PaymentStatus__c") == "Paid" or (money(inv.get("blng__Balance__c")) <= 0
                                                        and money(inv.get("blng__TotalAmount__c")) > 0):
        return "Paid"
    due = inv.get("blng__DueDate__c")
    if due is not None and due < today:
        return "Overdue"
    if inv.get("blng__PaymentStatus__c") == "Partially Paid":
        return "Partially Paid"
    return "Posted"


class Shared:
    """Reads of one account's records (call inside a transaction: tables are read under the org's lock)."""

    def __init__(self, org, account_id: str):
        self.org, self.db, self.account_id = org, org.db, account_id

    def account(self) -> dict[str, Any]:
        return self.db.find(self.account_id, "Account") or {}

    def invoices(self, status: str | None = None) -> list[dict[str, Any]]:
        today = self.org.today()
        rows = [dict(inv, status=status_of(inv, today)) for inv in self.db.table("blng__Invoice__c").values()
                if not inv.get("IsDeleted") and _same(inv.get("blng__Account__c"), self.account_id)
                and inv.get("blng__InvoiceStatus__c") in VISIBLE]
        if status:
            rows = [r for r in rows if r["status"] == status]
        return sorted(rows, key=lambda r: (r.get("blng__InvoiceDate__c") or date.min, r["Name"]), reverse=True)

    def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        inv = self.db.find(invoice_id, "blng__Invoice__c") if invoice_id else None
        if inv is None or not _same(inv.get("blng__Account__c"), self.account_id) \
                or inv.get("blng__InvoiceStatus__c") not in VISIBLE:
            return None
        return dict(inv, status=status_of(inv, self.org.today()))

    def lines(self, invoice_id: str) -> list[dict[str, Any]]:
        rows = [dict(line) for line in self.db.table("blng__InvoiceLine__c").values()
                if not line.get("IsDeleted") and _same(line.get("blng__Invoice__c"), invoice_id)]
        for row in rows:
            prod = self.db.find(row.get("blng__Product__c") or "", "Product2") if row.get("blng__Product__c") else None
            row["product_code"] = (prod or {}).get("ProductCode")
        return sorted(rows, key=lambda r: r.get("ERP_Line_Key__c") or r["Id"])

    def payments(self, invoice_id: str | None = None) -> list[dict[str, Any]]:
        rows = [p for p in self.db.table("blng__Payment__c").values()
                if not p.get("IsDeleted") and _same(p.get("blng__Account__c"), self.account_id)
                and (invoice_id is None or _same(p.get("blng__Invoice__c"), invoice_id))]
        names = {i["Id"][:15]: i for i in self.db.table("blng__Invoice__c").values()}
        out = [dict(p, invoice=names.get((p.get("blng__Invoice__c") or "")[:15], {})) for p in rows]
        return sorted(out, key=lambda p: (p.get("blng__PaymentDate__c") or date.min, p["Name"]), reverse=True)

    def cases(self, invoice_id: str | None = None) -> list[dict[str, Any]]:
        rows = [c for c in self.db.table("Case").values()
                if not c.get("IsDeleted") and _same(c.get("AccountId"), self.account_id)
                and (invoice_id is None or _same(c.get("Invoice__c"), invoice_id))]
        return sorted(rows, key=lambda c: c["CaseNumber"], reverse=True)
