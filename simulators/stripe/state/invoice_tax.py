"""What an invoice's lines owe after discounts and tax rates: line ``discount_amounts`` and ``taxes``,
the invoice's ``total_discount_amounts`` (totals themselves: ``recompute`` in lines.py).

Order, as Stripe documents it:
- discounts come before tax (docs.stripe.com/billing/taxes/tax-rates: "tax is calculated on the
  discounted amount"); item discounts before invoice discounts (InvoiceLineItem ``discounts``: "Line item
  discounts are applied before invoice discounts"); only ``discountable`` lines take discounts and a
  coupon with ``applies_to[products]`` only lines of those products;
- a ``percent_off`` coupon takes that share of each eligible line (rounded half up per line); an
  ``amount_off`` coupon is spread over the eligible lines in proportion to what they still owe (largest
  remainder, so the parts add up to the coupon), never more than they owe;
- tax rates (``tax_rates`` of the line's invoice item, else the invoice's ``default_tax_rates``;
  docs.stripe.com/invoicing/taxes/tax-rates) are computed per line on the discounted amount and rounded
  half up per line; an exclusive rate adds ``amount * p%``; inclusive rates are inside the amount: each
  takes ``amount * p / (100 + sum of inclusive p)`` and ``taxable_amount`` is what is left;
- lines whose taxes were set directly with ``tax_amounts`` (taxes calculated elsewhere) keep them;
- at most 10 tax rates per line or invoice; an archived (``active=false``) rate cannot be added.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource


def _round(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class InvoiceTax(Resource):
    def tax_rate_objects(self, raw: Any, label: str) -> list[dict[str, Any]]:
        """``tax_rates[]`` / ``default_tax_rates[]`` -> TaxRate objects (``""`` clears)."""
        if raw in ("", None):
            return []
        if not isinstance(raw, list):
            raise InvalidRequest("Invalid array", param=label)
        if len(raw) > 10:
            raise InvalidRequest("You can pass at most 10 tax rates.", param=label)
        out = []
        for i, rid in enumerate(raw):
            rate = self.db.get("tax_rate", rid, param=f"{label}[{i}]")
            if not rate["active"]:
                raise InvalidRequest(f"Tax rate {rate['id']} is archived and cannot be applied to new objects.",
                                     param=f"{label}[{i}]")
            if any(r["id"] == rate["id"] for r in out):
                raise InvalidRequest("The same tax rate cannot be applied more than once.", param=f"{label}[{i}]")
            out.append(self.db.snapshot(rate))
        return out

    def price_lines(self, inv: dict[str, Any]) -> tuple[int, int]:
        """Fill each line's ``discount_amounts`` and rate-based ``taxes``; return (item discounts,
        invoice discounts) in minor units."""
        lines = inv["lines"]["data"]
        owed = {line["id"]: line["amount"] for line in lines}
        for line in lines:
            line["discount_amounts"] = []
        item_total = 0
        for line in lines:
            for did in line.get("discounts") or []:
                item_total += self._apply_discount(did, [line], owed)
        inv_total = 0
        per_discount = []
        for did in inv.get("discounts") or []:
            amount = self._apply_discount(did, lines, owed)
            inv_total += amount
            per_discount.append({"amount": amount, "discount": did})
        for did in dict.fromkeys(d for line in lines for d in line.get("discounts") or []):
            per_discount.append({"amount": sum(da["amount"] for line in lines for da in line["discount_amounts"]
                                               if da["discount"] == did), "discount": did})
        inv["total_discount_amounts"] = per_discount
        for line in lines:
            if not self.db.d["internal"].get(line["id"], {}).get("manual_tax"):   # no bookkeeping entry per line
                line["taxes"] = self._rate_taxes(self._line_rates(inv, line), owed[line["id"]])
        return item_total, inv_total

    def _apply_discount(self, did: str, lines: list[dict[str, Any]], owed: dict[str, int]) -> int:
        coupon = self.db.d["internal"][did]["coupon"]   # as it was when redeemed (make_discounts)
        products = (coupon.get("applies_to") or {}).get("products")
        eligible = [line for line in lines if line.get("discountable") and owed[line["id"]] > 0
                    and (products is None or ((line.get("pricing") or {}).get("price_details") or {}).get("product")
                         in products)]
        parts: dict[str, int] = {}
        if coupon["percent_off"] is not None:
            pct = Decimal(str(coupon["percent_off"]))
            for line in eligible:
                parts[line["id"]] = min(owed[line["id"]], _round(owed[line["id"]] * pct / 100))
        elif eligible:
            base = sum(owed[line["id"]] for line in eligible)
            total = min(coupon["amount_off"], base)
            exact = {line["id"]: Decimal(total) * owed[line["id"]] / base for line in eligible}
            parts = {k: int(v) for k, v in exact.items()}
            short = total - sum(parts.values())
            for k in sorted(exact, key=lambda k: exact[k] - parts[k], reverse=True)[:short]:
                parts[k] += 1
        for line in eligible:
            amount = parts.get(line["id"], 0)
            owed[line["id"]] -= amount
            line["discount_amounts"].append({"amount": amount, "discount": did})
        return sum(parts.values())

    def _line_rates(self, inv: dict[str, Any], line: dict[str, Any]) -> list[dict[str, Any]]:
        ii = self.db.find((line["parent"].get("invoice_item_details") or {}).get("invoice_item"))
        if ii is not None and ii.get("tax_rates"):
            return ii["tax_rates"]
        return inv.get("default_tax_rates") or []

    @staticmethod
    def _rate_taxes(rates: list[dict[str, Any]], base: int) -> list[dict[str, Any]]:
        inclusive_pct = sum(Decimal(str(r["percentage"])) for r in rates if r["inclusive"])
        incl = {r["id"]: _round(base * Decimal(str(r["percentage"])) / (100 + inclusive_pct))
                for r in rates if r["inclusive"]}
        net = base - sum(incl.values())
        out = []
        for r in rates:
            amount = incl[r["id"]] if r["inclusive"] else _round(net * Decimal(str(r["percentage"])) / 100)
            out.append({"amount": amount, "tax_behavior": "inclusive" if r["inclusive"] else "exclusive",
                        "tax_rate_details": {"tax_rate": r["id"]}, "taxability_reason": "standard_rated",
                        "taxable_amount": net, "type": "tax_rate_details"})
        return out

    # ---- parameters of invoices and invoice items --------------------------------------------------
    def invoice_pricing_params(self, inv: dict[str, Any], params: dict[str, Any]) -> None:
        """``default_tax_rates`` and ``discounts`` of invoice create/update (drafts only)."""
        for key in ("default_tax_rates", "discounts"):
            if key in params and inv["status"] != "draft":
                raise InvalidRequest(f"Finalized invoices can't be updated in this way ({key}).", param=key,
                                     code="invoice_not_editable")
        if "default_tax_rates" in params:
            inv["default_tax_rates"] = self.tax_rate_objects(params["default_tax_rates"], "default_tax_rates")
        if "discounts" in params:
            inv["discounts"] = self.hub.discounts.make_discounts(params["discounts"], "discounts", inv["customer"],
                                                                 inv["currency"], inv["id"])
        if "default_tax_rates" in params or "discounts" in params:
            self.hub.lines.recompute(inv)

    def item_pricing_params(self, ii: dict[str, Any], params: dict[str, Any], label: str = "") -> None:
        """``tax_rates`` and ``discounts`` of an invoice item (or of its invoice line; ``label``: the
        prefix of nested params such as ``lines[0]``)."""
        def name(key: str) -> str:
            return f"{label}[{key}]" if label else key
        if "tax_rates" in params:
            ii["tax_rates"] = self.tax_rate_objects(params["tax_rates"], name("tax_rates"))
        if "discounts" in params:
            ii["discounts"] = self.hub.discounts.make_discounts(params["discounts"], name("discounts"), ii["customer"],
                                                                ii["currency"], ii["invoice"], ii["id"])
        if params.get("discountable") not in (None, ""):
            ii["discountable"] = P.boolean(params, "discountable", label=name("discountable"))
