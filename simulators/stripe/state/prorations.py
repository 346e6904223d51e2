"""Subscription item changes and their prorations (docs.stripe.com/billing/subscriptions/prorations).

Stripe prorates to the second: the old item's unused time is credited and the new one's remaining time
charged, each ``unit_amount x quantity x (period_end - t) / (period_end - period_start)``, rounded half up
to minor units. The proration invoice items stay pending for the subscription's next invoice
(``create_prorations``) or are invoiced at once (``always_invoice``, subscription_billing.py).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource


class Prorations(Resource):
    # ---- prorations ---------------------------------------------------------------------------------------
    def apply_item_changes(self, sub: dict[str, Any], changes: list[dict[str, Any]], behavior: str,
                           when: int) -> list[dict[str, Any]]:
        deletes = sum(1 for ch in changes if ch.get("delete"))
        news = sum(1 for ch in changes if "new" in ch)
        if len(sub["items"]["data"]) - deletes + news <= 0:   # refused before anything changes
            raise InvalidRequest("A subscription must have at least one active plan. To cancel a subscription, "
                                 "please use the cancel API endpoint on /v1/subscriptions.", param="items")
        start, end = self.hub.subscriptions.period(sub)
        prorate = behavior != "none" and sub["status"] in ("active", "past_due") and start <= when < end
        touched = []
        # new items first: their checks (currency, interval, duplicates) can refuse the request before
        # any existing item has changed
        for ch in sorted(changes, key=lambda c: "new" not in c):
            if "new" in ch:
                si = self.hub.subscriptions.new_item(sub, ch["new"], ch["label"] or "items")
                if prorate:
                    self._proration(sub, si, si["price"], si["quantity"], when, credit=False)
                touched.append(si)
                continue
            si = ch["item"]
            if ch.get("delete"):
                if prorate:
                    self._proration(sub, si, si["price"], si["quantity"], when, credit=True)
                sub["items"]["data"].remove(si)
                sub["items"]["total_count"] = len(sub["items"]["data"])
                self.db.d["objects"][si["id"]] = {"id": si["id"], "object": "subscription_item", "deleted": True}
                continue
            if ch["price"]["id"] != si["price"]["id"] or ch["quantity"] != si["quantity"]:
                if prorate:
                    self._proration(sub, si, si["price"], si["quantity"], when, credit=True)
                    self._proration(sub, si, ch["price"], ch["quantity"], when, credit=False)
                si.update(price=ch["price"], quantity=ch["quantity"])
            si["metadata"] = P.metadata(ch["metadata"], si["metadata"])
            touched.append(si)
        return touched

    def credit_unused(self, sub: dict[str, Any], when: int) -> None:
        for si in sub["items"]["data"]:
            self._proration(sub, si, si["price"], si["quantity"], when, credit=True)

    def _proration(self, sub: dict[str, Any], si: dict[str, Any], price: dict[str, Any], qty: int, when: int,
                   credit: bool) -> dict[str, Any] | None:
        start, end = self.hub.subscriptions.period(sub)
        factor = Decimal(end - when) / Decimal(end - start)
        amount = int((Decimal(price["unit_amount"] * qty) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if amount == 0:
            return None
        day = datetime.fromtimestamp(when, tz=timezone.utc).strftime("%d %b %Y")
        name = (self.db.find(price["product"]) or {}).get("name") or price["product"]
        desc = f"{'Unused' if credit else 'Remaining'} time on {qty} × {name} after {day}"
        amount = -amount if credit else amount
        ii = {
            "id": self.db.new_id("ii"), "object": "invoiceitem", "amount": amount, "currency": sub["currency"],
            "customer": sub["customer"], "date": self.db.now(), "description": desc, "discountable": False,
            "discounts": [], "invoice": None, "livemode": False, "metadata": {}, "net_amount": amount,
            "parent": {"subscription_details": {"subscription": sub["id"], "subscription_item": si["id"]},
                       "type": "subscription_details"},
            "period": {"end": end, "start": when},
            "pricing": {"price_details": {"price": price["id"], "product": price["product"]},
                        "type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"]},
            "proration": True, "quantity": qty, "tax_rates": [], "test_clock": sub.get("test_clock"),
        }
        self.db.put(ii)
        self.db.internal(ii["id"])["subscription"] = sub["id"]
        self.hub.events.emit("invoiceitem.created", ii)
        return ii
