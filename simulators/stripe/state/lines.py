"""Invoice items, invoice line items, external tax amounts and invoice totals.

External tax (the integration brings AvaTax amounts): Stripe's mechanism for "taxes calculated
elsewhere" is ``tax_amounts[]`` on an invoice line item, set while the invoice is a draft through
``POST /v1/invoices/{invoice}/lines/{line_item_id}`` (or in bulk ``/update_lines``, or with
``/add_lines``). Each entry is ``{amount, taxable_amount, tax_rate_data{display_name, inclusive,
percentage, ...}, taxability_reason}``; Stripe finds or creates an archived TaxRate per distinct
``tax_rate_data`` and renders the line's ``taxes[]`` (type ``tax_rate_details``) and the invoice's
``total_taxes[]``. Source: stripe-python 16.1.0 ``params/_invoice_line_item_update_params.py`` and
``_invoice_line_item_service.py`` (docstring: "Some fields, such as tax_amounts, only live on the
invoice line item"). Exclusive taxes add to ``total``; inclusive ones are inside the line amount.
"""
from __future__ import annotations

import json
from typing import Any

from .. import params as P
from ..errors import InvalidRequest, InvoiceStateError
from .base import Resource

NOT_EDITABLE = ("This invoice is no longer editable. You can only change the line items of a draft invoice.")


class LineStore(Resource):
    def __init__(self, hub):
        super().__init__(hub)
        self.store = self.sim.store(lambda: {"tax_rates": {}})   # tax_rate_data key -> the TaxRate made for it

    # ---- invoice items ---------------------------------------------------------------------
    def create_invoice_item(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = self.db.get("customer", P.string(params, "customer", required=True), param="customer")
        inv = None
        if params.get("invoice"):
            inv = self.db.get("invoice", params["invoice"], param="invoice")
            if inv["customer"] != customer["id"]:
                raise InvalidRequest("The invoice belongs to a different customer.", param="invoice")
            self.require_draft(inv)
        amount, quantity, unit, price = self._amount_fields(params)
        currency = P.string(params, "currency") or (price or {}).get("currency") or (inv or {}).get("currency")
        if not currency:
            raise InvalidRequest("Missing required param: currency.", param="currency", code="parameter_missing")
        currency = currency.lower()
        if inv and currency != inv["currency"]:
            raise InvalidRequest(f"The currency of this invoice item ({currency}) does not match the invoice's "
                                 f"currency ({inv['currency']}).", param="currency")
        now = self.db.now()
        period = params.get("period") if isinstance(params.get("period"), dict) else {}
        ii = {
            "id": self.db.new_id("ii"), "object": "invoiceitem", "amount": amount, "currency": currency,
            "customer": customer["id"], "date": now, "description": P.string(params, "description"),
            "discountable": P.boolean(params, "discountable", default=True), "discounts": [],
            "invoice": inv["id"] if inv else None, "livemode": False, "metadata": P.metadata(params),
            "net_amount": amount, "parent": None,
            "period": {"end": P.integer(period, "end", default=now, label="period[end]"),
                       "start": P.integer(period, "start", default=now, label="period[start]")},
            "pricing": self._pricing(price, unit), "proration": False, "quantity": quantity, "tax_rates": [],
            "test_clock": customer.get("test_clock"),
        }
        self.hub.invoice_tax.item_pricing_params(ii, params)   # tax_rates, discounts (state/invoice_tax.py)
        self.db.put(ii)
        if inv:
            self.add_line_for_item(inv, ii)
            self.recompute(inv)
        self.hub.events.emit("invoiceitem.created", ii)
        return ii

    def _amount_fields(self, params: dict[str, Any]) -> tuple[int, int, str, dict[str, Any] | None]:
        quantity = P.integer(params, "quantity", default=1, minimum=0)
        pricing = params.get("pricing") if isinstance(params.get("pricing"), dict) else {}
        price_id = pricing.get("price") or params.get("price")
        price = self.db.get("price", price_id, param="pricing[price]") if price_id else None
        if price is not None:
            unit = price["unit_amount_decimal"]
            return price["unit_amount"] * quantity, quantity, unit, price
        if params.get("amount") not in (None, ""):
            amount = P.integer(params, "amount")
            return amount, quantity, str(amount // quantity if quantity else amount), None
        if params.get("unit_amount_decimal") not in (None, ""):
            unit = str(params["unit_amount_decimal"])
            from decimal import ROUND_HALF_UP, Decimal
            amount = int((Decimal(unit) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            return amount, quantity, unit, None
        raise InvalidRequest("You must specify either `amount`, `pricing.price` or `unit_amount_decimal`.",
                             param="amount", code="parameter_missing")

    @staticmethod
    def _pricing(price: dict[str, Any] | None, unit: str) -> dict[str, Any]:
        return {"price_details": {"price": price["id"], "product": price["product"]} if price else None,
                "type": "price_details" if price else None, "unit_amount_decimal": unit}

    def update_invoice_item(self, ii: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        inv = self.db.find(ii["invoice"]) if ii["invoice"] else None
        if inv:
            self.require_draft(inv)
        self._apply_amounts(ii, params)
        if "description" in params:
            ii["description"] = params["description"] or None
        ii["metadata"] = P.metadata(params, ii["metadata"])
        self.hub.invoice_tax.item_pricing_params(ii, params)
        if inv:
            line = self._line_for_item(inv, ii["id"])
            if line:
                line.update(amount=ii["amount"], description=ii["description"], quantity=ii["quantity"],
                            pricing=ii["pricing"], metadata=dict(ii["metadata"]), discounts=list(ii["discounts"]),
                            discountable=ii["discountable"])
            self.recompute(inv)
        self.hub.events.emit("invoiceitem.updated", ii)
        return ii

    def _apply_amounts(self, ii: dict[str, Any], params: dict[str, Any]) -> None:
        if any(k in params for k in ("amount", "quantity", "unit_amount_decimal", "pricing", "price")):
            merged = {"quantity": str(ii["quantity"])}
            if not any(k in params for k in ("amount", "unit_amount_decimal", "pricing", "price")):
                merged["unit_amount_decimal"] = ii["pricing"]["unit_amount_decimal"]
                if ii["pricing"]["price_details"]:
                    merged["pricing"] = {"price": ii["pricing"]["price_details"]["price"]}
            merged.update(params)
            amount, quantity, unit, price = self._amount_fields(merged)
            ii.update(amount=amount, net_amount=amount, quantity=quantity, pricing=self._pricing(price, unit))

    def delete_invoice_item(self, ii: dict[str, Any]) -> dict[str, Any]:
        inv = self.db.find(ii["invoice"]) if ii["invoice"] else None
        if inv:
            self.require_draft(inv)
            line = self._line_for_item(inv, ii["id"])
            if line:
                inv["lines"]["data"].remove(line)
                self.db.d["objects"].pop(line["id"], None)
            self.recompute(inv)
        gone = {"id": ii["id"], "object": "invoiceitem", "deleted": True}
        self.db.d["objects"][ii["id"]] = gone
        self.hub.events.emit("invoiceitem.deleted", ii)
        return gone

    # ---- lines -------------------------------------------------------------------------------
    def require_draft(self, inv: dict[str, Any]) -> None:
        if inv["status"] != "draft":
            raise InvoiceStateError(NOT_EDITABLE)

    def add_line_for_item(self, inv: dict[str, Any], ii: dict[str, Any]) -> dict[str, Any]:
        line = {
            "id": self.db.new_id("il"), "object": "line_item", "amount": ii["amount"], "currency": ii["currency"],
            "description": ii["description"], "discount_amounts": [], "discountable": ii["discountable"],
            "discounts": list(ii["discounts"]), "invoice": inv["id"], "livemode": False,
            "metadata": dict(ii["metadata"]),
            "parent": {"invoice_item_details": {"invoice_item": ii["id"], "proration": False,
                                                "proration_details": {"credited_items": None},
                                                "subscription": None},
                       "subscription_item_details": None, "type": "invoice_item_details"},
            "period": dict(ii["period"]), "pretax_credit_amounts": [], "pricing": ii["pricing"],
            "quantity": ii["quantity"], "subscription": None, "subtotal": ii["amount"], "taxes": [],
        }
        ii["invoice"] = inv["id"]
        inv["lines"]["data"].append(line)
        self.db.d["objects"][line["id"]] = line
        return line

    def _line_for_item(self, inv: dict[str, Any], ii_id: str) -> dict[str, Any] | None:
        for line in inv["lines"]["data"]:
            if (line["parent"]["invoice_item_details"] or {}).get("invoice_item") == ii_id:
                return line
        return None

    def get_line(self, inv: dict[str, Any], line_id: Any, param: str = "line_item_id") -> dict[str, Any]:
        for line in inv["lines"]["data"]:
            if line["id"] == line_id:
                return line
        raise InvalidRequest(f"No such invoice line item: '{line_id}'", param=param, code="resource_missing",
                             status=404)

    def update_line(self, inv: dict[str, Any], line: dict[str, Any], params: dict[str, Any],
                    label: str = "") -> dict[str, Any]:
        self.require_draft(inv)
        ii = self.db.find((line["parent"]["invoice_item_details"] or {}).get("invoice_item"))
        if ii is not None:
            self._apply_amounts(ii, params)
            if "description" in params:
                ii["description"] = params["description"] or None
            self.hub.invoice_tax.item_pricing_params(ii, params, label.rstrip("["))
            line.update(amount=ii["amount"], subtotal=ii["amount"], description=ii["description"],
                        quantity=ii["quantity"], pricing=ii["pricing"], discounts=list(ii["discounts"]),
                        discountable=ii["discountable"])
        line["metadata"] = P.metadata(params, line["metadata"])
        if "tax_amounts" in params:
            if params.get("tax_rates"):
                raise InvalidRequest("You cannot set both `tax_amounts` and `tax_rates` on a line item.",
                                     param=f"{label}tax_amounts")
            line["taxes"] = self._taxes(params["tax_amounts"], f"{label}tax_amounts")
            self.db.internal(line["id"])["manual_tax"] = bool(line["taxes"])
        self.recompute(inv)
        return line

    def update_lines(self, inv: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        self.require_draft(inv)
        lines = params.get("lines")
        if not isinstance(lines, list) or not lines:
            raise InvalidRequest("Missing required param: lines.", param="lines", code="parameter_missing")
        for i, spec in enumerate(lines):
            if not isinstance(spec, dict) or not spec.get("id"):
                raise InvalidRequest(f"Missing required param: lines[{i}][id].", param=f"lines[{i}][id]",
                                     code="parameter_missing")
            self.update_line(inv, self.get_line(inv, spec["id"], f"lines[{i}][id]"), spec, f"lines[{i}][")
        inv["metadata"] = P.metadata(params, inv["metadata"])
        return inv

    def add_lines(self, inv: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        self.require_draft(inv)
        lines = params.get("lines")
        if not isinstance(lines, list) or not lines:
            raise InvalidRequest("Missing required param: lines.", param="lines", code="parameter_missing")
        for i, spec in enumerate(lines):
            if not isinstance(spec, dict):
                raise InvalidRequest("Invalid object", param=f"lines[{i}]")
            if spec.get("invoice_item"):
                ii = self.db.get("invoiceitem", spec["invoice_item"], param=f"lines[{i}][invoice_item]")
                if ii["invoice"] and ii["invoice"] != inv["id"]:
                    raise InvalidRequest("This invoice item is already on another invoice.",
                                         param=f"lines[{i}][invoice_item]")
                self.hub.invoice_tax.item_pricing_params(ii, spec, f"lines[{i}]")
                line = self._line_for_item(inv, ii["id"]) or self.add_line_for_item(inv, ii)
                line.update(discounts=list(ii["discounts"]), discountable=ii["discountable"])
            else:
                item_params = {k: v for k, v in spec.items() if k not in ("tax_amounts", "metadata")}
                item_params.update(customer=inv["customer"], invoice=inv["id"], currency=inv["currency"])
                ii = self.create_invoice_item(item_params)
                line = self._line_for_item(inv, ii["id"])
            if "tax_amounts" in spec or "metadata" in spec:
                self.update_line(inv, line, {k: spec[k] for k in ("tax_amounts", "metadata") if k in spec},
                                 f"lines[{i}][")
        self.recompute(inv)
        return inv

    def _taxes(self, raw: Any, label: str) -> list[dict[str, Any]]:
        if raw == "" or raw is None:
            return []
        if not isinstance(raw, list):
            raise InvalidRequest("Invalid array", param=label)
        if len(raw) > 20:
            raise InvalidRequest("You can pass at most 20 tax amounts.", param=label)
        out = []
        for i, ta in enumerate(raw):
            where = f"{label}[{i}]"
            if not isinstance(ta, dict):
                raise InvalidRequest("Invalid object", param=where)
            amount = P.integer(ta, "amount", required=True, minimum=0, label=f"{where}[amount]")
            taxable = P.integer(ta, "taxable_amount", required=True, label=f"{where}[taxable_amount]")
            rate = self._tax_rate(ta.get("tax_rate_data"), f"{where}[tax_rate_data]")
            out.append({"amount": amount, "tax_behavior": "inclusive" if rate["inclusive"] else "exclusive",
                        "tax_rate_details": {"tax_rate": rate["id"]},
                        "taxability_reason": P.string(ta, "taxability_reason", default="standard_rated"),
                        "taxable_amount": taxable, "type": "tax_rate_details"})
        return out

    def _tax_rate(self, data: Any, label: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise InvalidRequest(f"Missing required param: {label}.", param=label, code="parameter_missing")
        name = P.string(data, "display_name", required=True, label=f"{label}[display_name]")
        inclusive = P.boolean(data, "inclusive", label=f"{label}[inclusive]")
        if inclusive is None:
            raise InvalidRequest(f"Missing required param: {label}[inclusive].", param=f"{label}[inclusive]",
                                 code="parameter_missing")
        if data.get("percentage") in (None, ""):
            raise InvalidRequest(f"Missing required param: {label}[percentage].", param=f"{label}[percentage]",
                                 code="parameter_missing")
        from decimal import Decimal, InvalidOperation
        try:
            pct = Decimal(str(data["percentage"]))
        except InvalidOperation:
            raise InvalidRequest(f"Invalid decimal: {data['percentage']}", param=f"{label}[percentage]")
        if not 0 <= pct <= 100 or -pct.as_tuple().exponent > 4:
            raise InvalidRequest("The percentage must be between 0 and 100 with at most 4 decimal places.",
                                 param=f"{label}[percentage]")
        key = json.dumps({k: str(v) for k, v in sorted(data.items())})
        existing = self.store.data["tax_rates"].get(key)
        if existing:
            return self.db.d["objects"][existing]
        rate = {
            "id": self.db.new_id("txr"), "object": "tax_rate", "active": False, "country": data.get("country"),
            "created": self.db.now(), "description": data.get("description"), "display_name": name,
            "effective_percentage": float(pct), "flat_amount": None, "inclusive": inclusive,
            "jurisdiction": data.get("jurisdiction"), "jurisdiction_level": data.get("jurisdiction_level"),
            "livemode": False, "metadata": {}, "percentage": float(pct), "rate_type": "percentage",
            "state": data.get("state"), "tax_type": data.get("tax_type"),
        }
        self.db.put(rate)
        self.store.data["tax_rates"][key] = rate["id"]
        return rate

    # ---- totals ------------------------------------------------------------------------------
    def recompute(self, inv: dict[str, Any]) -> None:
        """Integer minor units throughout: subtotal = line amounts less item discounts; total = subtotal
        less invoice discounts plus exclusive taxes."""
        lines = inv["lines"]["data"]
        item_discounts, invoice_discounts = self.hub.invoice_tax.price_lines(inv)   # state/invoice_tax.py
        subtotal = sum(line["amount"] for line in lines) - item_discounts
        exclusive = inclusive = 0
        agg: dict[tuple, dict[str, Any]] = {}
        for line in lines:
            for tax in line["taxes"]:
                if tax["tax_behavior"] == "inclusive":
                    inclusive += tax["amount"]
                else:
                    exclusive += tax["amount"]
                key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"], tax["taxability_reason"])
                slot = agg.setdefault(key, dict(tax, amount=0, taxable_amount=0))
                slot["amount"] += tax["amount"]
                slot["taxable_amount"] += tax["taxable_amount"]
        total = subtotal - invoice_discounts + exclusive
        inv.update(subtotal=subtotal, subtotal_excluding_tax=subtotal - inclusive,
                   total_excluding_tax=subtotal - invoice_discounts - inclusive, total=total,
                   total_taxes=list(agg.values()))
        applied = 0 if inv.get("ending_balance") is None else (inv["starting_balance"] or 0) - inv["ending_balance"]
        due = max(0, total + applied - inv.get("pre_payment_credit_notes_amount", 0))   # balance: state/balance.py
        inv["amount_due"] = due if inv["status"] in ("draft", "open") else inv["amount_due"]
        inv["amount_remaining"] = max(0, inv["amount_due"] - inv["amount_paid"])
        inv["lines"]["total_count"] = len(lines)
