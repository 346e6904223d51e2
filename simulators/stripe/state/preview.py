"""Invoice previews (``POST /v1/invoices/create_preview``, ``GET /v1/invoices/upcoming``): what the next
invoice for a customer would contain, computed without storing anything or emitting events.

Stripe previews a customer's pending invoice items (plus any ``invoice_items`` passed in the request) in
the preview's currency; the answer is an ``invoice`` whose ``id`` starts ``upcoming_`` and is not
retrievable (docs.stripe.com/api/invoices/create_preview).
"""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource


class InvoicePreview(Resource):
    def preview_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = P.string(params, "customer")
        if not cid:
            raise InvalidRequest("Missing required param: customer.", param="customer", code="parameter_missing")
        cus = self.db.get("customer", cid, param="customer")
        currency = (P.string(params, "currency") or cus.get("currency") or "usd").lower()
        lines = []
        for ii_id in self.db.d["order"].get("invoiceitem", []):
            ii = self.db.d["objects"].get(ii_id)
            if ii and not ii.get("deleted") and ii["invoice"] is None and ii["customer"] == cid \
                    and ii["currency"] == currency:
                lines.append(self.preview_line(ii["amount"], ii["quantity"], ii["description"], ii["metadata"],
                                               currency, ii["id"]))
        extra = params.get("invoice_items") or []
        for i, item in enumerate(extra if isinstance(extra, list) else []):
            amount = P.integer(item, "amount", label=f"invoice_items[{i}][amount]")
            if amount is None:
                unit = P.integer(item, "unit_amount", label=f"invoice_items[{i}][unit_amount]") or 0
                amount = unit * (P.integer(item, "quantity", default=1, label=f"invoice_items[{i}][quantity]") or 1)
            lines.append(self.preview_line(amount, P.integer(item, "quantity", default=1) or 1,
                                           item.get("description"), P.metadata(item), currency, None))
        total = sum(line["amount"] for line in lines)
        now = self.db.now()
        return {
            "id": "upcoming_" + self.db.new_id("in"), "object": "invoice", "account_country": "US",
            "account_name": "O2C Harness (test)", "amount_due": max(total, 0), "amount_paid": 0,
            "amount_remaining": max(total, 0), "attempt_count": 0, "attempted": False, "auto_advance": False,
            "billing_reason": "upcoming", "collection_method": "charge_automatically", "created": now,
            "currency": currency, "customer": cid, "customer_email": cus["email"], "customer_name": cus["name"],
            "description": None, "discounts": [], "due_date": None, "hosted_invoice_url": None, "invoice_pdf": None,
            "lines": {"object": "list", "data": lines, "has_more": False, "total_count": len(lines),
                      "url": "/v1/invoices/upcoming/lines"},
            "livemode": False, "metadata": {}, "number": None, "period_end": now, "period_start": now,
            "status": "draft", "subtotal": total, "subtotal_excluding_tax": total, "test_clock": cus.get("test_clock"),
            "total": total, "total_excluding_tax": total, "total_taxes": [],
        }

    @staticmethod
    def preview_line(amount: int, quantity: int, description: str | None, metadata: dict[str, str], currency: str,
                     item: str | None) -> dict[str, Any]:
        return {"id": None, "object": "line_item", "amount": amount, "currency": currency, "description": description,
                "invoice": None, "livemode": False, "metadata": dict(metadata), "quantity": quantity,
                "parent": {"type": "invoice_item_details",
                           "invoice_item_details": {"invoice_item": item, "proration": False}},
                "subtotal": amount, "taxes": []}
