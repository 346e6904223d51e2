"""Subscriptions and subscription items: create, update (items, quantities, prices with prorations),
cancel (now, with ``invoice_now`` / ``prorate``, or at period end), resume, and lists.

Shapes follow the pinned API version (periods live on the items: ``items.data[].current_period_start``
/ ``current_period_end``). Sources: docs.stripe.com/api/subscriptions, docs.stripe.com/billing/subscriptions/
overview (statuses; ``incomplete`` for up to 23 hours, changelog 2019-03-14), docs.stripe.com/billing/
subscriptions/trials. Billing on the clock (invoices, trials, dunning) is in subscription_billing.py.
"""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource

STATUSES = ("active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing", "paused")
LIVE = ("active", "past_due", "unpaid", "trialing")
PRORATION = ("create_prorations", "none", "always_invoice")


class SubscriptionStore(Resource):
    # ---- create ------------------------------------------------------------------------------------
    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        cus = self.db.get("customer", P.string(params, "customer", required=True), param="customer")
        specs = params.get("items")
        if not isinstance(specs, list) or not specs:
            raise InvalidRequest("Missing required param: items.", param="items", code="parameter_missing")
        method = P.string(params, "collection_method", default="charge_automatically",
                          choices=("charge_automatically", "send_invoice"))
        days = P.integer(params, "days_until_due", minimum=0)
        if method == "send_invoice" and days is None:
            raise InvalidRequest("`days_until_due` is required when `collection_method` is `send_invoice`.",
                                 param="days_until_due")
        if method == "charge_automatically" and days is not None:
            raise InvalidRequest("`days_until_due` can only be set when `collection_method` is `send_invoice`.",
                                 param="days_until_due")
        behavior = P.string(params, "payment_behavior", default="allow_incomplete",
                            choices=("allow_incomplete", "default_incomplete", "error_if_incomplete",
                                     "pending_if_incomplete"))
        now = self.db.now()
        trial_end = self._trial_end(params, now)
        anchor = P.integer(params, "billing_cycle_anchor")
        if anchor is not None and anchor < now:
            raise InvalidRequest("billing_cycle_anchor cannot be earlier than the current time.",
                                 param="billing_cycle_anchor")
        if anchor is not None and trial_end is not None and anchor < trial_end:
            raise InvalidRequest("billing_cycle_anchor cannot be earlier than the trial end.",
                                 param="billing_cycle_anchor")
        sid = self.db.new_id("sub")
        sub = {
            "id": sid, "object": "subscription", "application": None, "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": now, "billing_cycle_anchor_config": None,
            "billing_mode": {"flexible": None, "type": "classic"}, "billing_thresholds": None,
            "cancel_at": P.integer(params, "cancel_at"),
            "cancel_at_period_end": P.boolean(params, "cancel_at_period_end", default=False), "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": method, "created": now, "currency": None, "customer": cus["id"],
            "days_until_due": days, "default_payment_method": None, "default_source": None, "default_tax_rates": [],
            "description": P.string(params, "description"), "discounts": [], "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": f"/v1/subscription_items?subscription={sid}"},
            "latest_invoice": None, "livemode": False, "metadata": P.metadata(params),
            "next_pending_invoice_item_invoice": None, "on_behalf_of": None, "pause_collection": None,
            "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                                 "save_default_payment_method": "off"},
            "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None,
            "schedule": None, "start_date": now, "status": "incomplete", "test_clock": cus.get("test_clock"),
            "transfer_data": None, "trial_end": trial_end, "trial_settings": self._trial_settings(params),
            "trial_start": now if trial_end else None,
        }
        if params.get("default_payment_method"):
            pm = self.hub.payment_methods.resolve_pm(params["default_payment_method"], param="default_payment_method")
            pm["customer"] = pm["customer"] or cus["id"]
            sub["default_payment_method"] = pm["id"]
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict):
                raise InvalidRequest("Invalid object", param=f"items[{i}]")
            self.new_item(sub, spec, f"items[{i}]")
        info = self.db.internal(sid)
        info.update(behavior=behavior, anchor=anchor or trial_end or now, cycle=0 if anchor or trial_end else 1)
        end = trial_end or anchor or self.hub.billing.period_end(sub, 1)
        self.set_period(sub, now, end)
        self.db.put(sub)
        if sub["cancel_at"]:
            self.hub.billing.schedule_sub(sub["cancel_at"], "sub_cancel_at", sid)
        prorate_first = bool(anchor) and not trial_end and P.string(
            params, "proration_behavior", default="create_prorations", choices=PRORATION) != "none"
        self.hub.billing.start_subscription(sub, prorate_first=prorate_first)
        return sub

    def _trial_end(self, params: dict[str, Any], now: int) -> int | None:
        days = P.integer(params, "trial_period_days", minimum=0)
        raw = params.get("trial_end")
        if raw == "now":
            return None
        end = P.integer(params, "trial_end")
        if end is not None and days is not None:
            raise InvalidRequest("You may only specify one of these parameters: trial_end, trial_period_days.",
                                 param="trial_end")
        if end is not None and end <= now:
            raise InvalidRequest("Invalid timestamp: must be an integer Unix timestamp in the future.",
                                 param="trial_end")
        if days:
            if days > 730:
                raise InvalidRequest("The maximum number of trial period days is 730 (2 years).",
                                     param="trial_period_days")
            return now + days * 86400
        return end

    @staticmethod
    def _trial_settings(params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("trial_settings") if isinstance(params.get("trial_settings"), dict) else {}
        end = raw.get("end_behavior") if isinstance(raw.get("end_behavior"), dict) else {}
        missing = P.string(end, "missing_payment_method", default="create_invoice",
                           choices=("cancel", "create_invoice", "pause"),
                           label="trial_settings[end_behavior][missing_payment_method]")
        return {"end_behavior": {"missing_payment_method": missing}}

    # ---- items -------------------------------------------------------------------------------------
    def _price_for(self, spec: dict[str, Any], label: str) -> dict[str, Any]:
        if not spec.get("price"):
            raise InvalidRequest(f"Missing required param: {label}[price].", param=f"{label}[price]",
                                 code="parameter_missing")
        price = self.db.get("price", spec["price"], param=f"{label}[price]")
        if price["type"] != "recurring":
            raise InvalidRequest(f"The price specified is set to `type=one_time` but this field only accepts "
                                 f"prices with `type=recurring`.", param=f"{label}[price]")
        return price

    def new_item(self, sub: dict[str, Any], spec: dict[str, Any], label: str) -> dict[str, Any]:
        price = self._price_for(spec, label)
        if sub["currency"] is None:
            sub["currency"] = price["currency"]
        elif price["currency"] != sub["currency"]:
            raise InvalidRequest("All prices on a subscription must have the same `currency`.",
                                 param=f"{label}[price]")
        if sub["items"]["data"]:
            first = sub["items"]["data"][0]["price"]["recurring"]
            if (first["interval"], first["interval_count"]) != (price["recurring"]["interval"],
                                                                price["recurring"]["interval_count"]):
                raise InvalidRequest("Currency and interval fields must match across all plans on this "
                                     "subscription.", param=f"{label}[price]")
        for other in sub["items"]["data"]:
            if other["price"]["id"] == price["id"]:
                raise InvalidRequest("Cannot add multiple subscription items with the same price.",
                                     param=f"{label}[price]")
        si = {
            "id": self.db.new_id("si"), "object": "subscription_item", "billing_thresholds": None,
            "created": self.db.now(), "current_period_end": None, "current_period_start": None, "discounts": [],
            "metadata": P.metadata(spec), "price": price,
            "quantity": P.integer(spec, "quantity", default=1, minimum=0, label=f"{label}[quantity]"),
            "subscription": sub["id"], "tax_rates": [],
        }
        if sub["items"]["data"]:
            si.update(current_period_start=sub["items"]["data"][0]["current_period_start"],
                      current_period_end=sub["items"]["data"][0]["current_period_end"])
        sub["items"]["data"].append(si)
        sub["items"]["total_count"] = len(sub["items"]["data"])
        self.db.d["objects"][si["id"]] = si
        self.db.d["order"].setdefault("subscription_item", []).append(si["id"])
        return si

    def set_period(self, sub: dict[str, Any], start: int, end: int) -> None:
        for si in sub["items"]["data"]:
            si.update(current_period_start=start, current_period_end=end)

    @staticmethod
    def period(sub: dict[str, Any]) -> tuple[int, int]:
        first = sub["items"]["data"][0]
        return first["current_period_start"], first["current_period_end"]

    # ---- update ------------------------------------------------------------------------------------
    def update(self, sub: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise InvalidRequest("A canceled subscription can only update its cancellation_details and metadata.")
        before = self.db.snapshot(sub)
        behavior = P.string(params, "proration_behavior", default="create_prorations", choices=PRORATION)
        when = P.integer(params, "proration_date") or self.db.now()
        specs = params.get("items")
        if specs not in (None, ""):
            if not isinstance(specs, list):
                raise InvalidRequest("Invalid array", param="items")
            changes = []
            for i, spec in enumerate(specs):
                if not isinstance(spec, dict):
                    raise InvalidRequest("Invalid object", param=f"items[{i}]")
                changes.append(self._item_change(sub, spec, f"items[{i}]"))
            self.hub.prorations.apply_item_changes(sub, changes, behavior, when)
        if "cancel_at_period_end" in params:
            sub["cancel_at_period_end"] = P.boolean(params, "cancel_at_period_end")
            sub["cancel_at"] = self.period(sub)[1] if sub["cancel_at_period_end"] else None
            sub["canceled_at"] = self.db.now() if sub["cancel_at_period_end"] else None
            sub["cancellation_details"]["reason"] = ("cancellation_requested" if sub["cancel_at_period_end"]
                                                     else None)
        if "cancel_at" in params:
            sub["cancel_at"] = P.integer(params, "cancel_at")
            if sub["cancel_at"]:
                self.hub.billing.schedule_sub(sub["cancel_at"], "sub_cancel_at", sub["id"])
        if params.get("default_payment_method"):
            pm = self.hub.payment_methods.resolve_pm(params["default_payment_method"], param="default_payment_method")
            pm["customer"] = pm["customer"] or sub["customer"]
            sub["default_payment_method"] = pm["id"]
        if "description" in params:
            sub["description"] = params["description"] or None
        if "collection_method" in params:
            sub["collection_method"] = P.string(params, "collection_method",
                                                choices=("charge_automatically", "send_invoice"))
        if "days_until_due" in params:
            sub["days_until_due"] = P.integer(params, "days_until_due", minimum=0)
        sub["metadata"] = P.metadata(params, sub["metadata"])
        if params.get("trial_end") == "now" and sub["status"] == "trialing":
            self.hub.billing.end_trial_now(sub)
        previous = {k: v for k, v in before.items() if sub.get(k) != v}
        if previous:
            self.hub.events.emit("customer.subscription.updated", sub, previous)
        if behavior == "always_invoice" and specs:
            self.hub.billing.invoice_pending(sub, "subscription_update")
        return sub

    def _item_change(self, sub: dict[str, Any], spec: dict[str, Any], label: str) -> dict[str, Any]:
        if spec.get("id"):
            si = self.db.get("subscription_item", spec["id"], param=f"{label}[id]")
            if si["subscription"] != sub["id"]:
                raise InvalidRequest("The subscription item does not belong to this subscription.",
                                     param=f"{label}[id]")
            if P.boolean(spec, "deleted", default=False, label=f"{label}[deleted]"):
                return {"item": si, "delete": True}
            price = self._price_for(spec, label) if spec.get("price") else si["price"]
            qty = P.integer(spec, "quantity", default=si["quantity"], minimum=0, label=f"{label}[quantity]")
            return {"item": si, "price": price, "quantity": qty, "metadata": spec}
        return {"new": spec, "label": label}

    # ---- cancel / resume ---------------------------------------------------------------------------
    def cancel(self, sub: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise InvalidRequest(f"No such subscription: '{sub['id']}'; this subscription is already canceled.",
                                 code="resource_missing", param="id", status=404)
        prorate = P.boolean(params, "prorate", default=False)
        invoice_now = P.boolean(params, "invoice_now", default=False)
        details = params.get("cancellation_details") if isinstance(params.get("cancellation_details"), dict) else {}
        if prorate and sub["status"] in ("active", "past_due"):
            self.hub.prorations.credit_unused(sub, self.db.now())
        self.hub.billing.end_subscription(sub, "cancellation_requested", details)
        if invoice_now:
            self.hub.billing.invoice_pending(sub, "subscription_update", allow_empty=False)
        return sub

    def resume(self, sub: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if sub["status"] != "paused":
            raise InvalidRequest("Only paused subscriptions can be resumed.")
        P.string(params, "billing_cycle_anchor", default="now", choices=("now", "unchanged"))
        before = self.db.snapshot(sub)
        now = self.db.now()
        info = self.db.internal(sub["id"])
        info.update(anchor=now, cycle=1)
        self.set_period(sub, now, self.hub.billing.period_end(sub, 1))
        sub.update(status="active", billing_cycle_anchor=now, pause_collection=None)
        self.hub.events.emit("customer.subscription.resumed", sub)
        self.hub.events.emit("customer.subscription.updated", sub, {k: v for k, v in before.items() if sub.get(k) != v})
        self.hub.billing.bill_period(sub, "subscription_cycle", immediate=True)
        self.hub.billing.schedule_cycle(sub)
        return sub

    # ---- lists ---------------------------------------------------------------------------------------
    def list_subscriptions(self, params: dict[str, Any]) -> dict[str, Any]:
        status = P.string(params, "status", choices=STATUSES + ("all", "ended"))
        cus, price, method = params.get("customer"), params.get("price"), params.get("collection_method")

        def where(o: dict[str, Any]) -> bool:
            if status == "ended":
                ok = o["status"] in ("canceled", "incomplete_expired")
            elif status and status != "all":
                ok = o["status"] == status
            else:   # by default, subscriptions that have not been canceled (docs.stripe.com/api/subscriptions/list)
                ok = status == "all" or o["status"] not in ("canceled", "incomplete_expired")
            return (ok and (not cus or o["customer"] == cus) and (not method or o["collection_method"] == method)
                    and (not price or any(si["price"]["id"] == price for si in o["items"]["data"])))
        return self.db.list_objects("subscription", params, "/v1/subscriptions", where)

    def list_subscription_items(self, params: dict[str, Any]) -> dict[str, Any]:
        sub = self.db.get("subscription", P.string(params, "subscription", required=True), param="subscription")
        ids = [si["id"] for si in reversed(sub["items"]["data"])]
        return self.db.list_objects("subscription_item", params, "/v1/subscription_items", ids=ids)

    # ---- subscription items endpoints ---------------------------------------------------------------
    def create_subscription_item(self, params: dict[str, Any]) -> dict[str, Any]:
        sub = self.db.get("subscription", P.string(params, "subscription", required=True), param="subscription")
        behavior = P.string(params, "proration_behavior", default="create_prorations", choices=PRORATION)
        before = self.db.snapshot(sub)
        spec = {k: v for k, v in params.items() if k in ("price", "quantity", "metadata")}
        added = self.hub.prorations.apply_item_changes(sub, [{"new": spec, "label": ""}], behavior,
                                                       P.integer(params, "proration_date") or self.db.now())
        self.hub.events.emit("customer.subscription.updated", sub, {"items": before["items"]})
        if behavior == "always_invoice":
            self.hub.billing.invoice_pending(sub, "subscription_update")
        return added[0]

    def update_subscription_item(self, si: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        sub = self.db.get("subscription", si["subscription"])
        items = {"id": si["id"], **{k: v for k, v in params.items() if k in ("price", "quantity", "metadata")}}
        self.update(sub, {"items": [items],
                          **{k: params[k] for k in ("proration_behavior", "proration_date") if k in params}})
        return si

    def delete_subscription_item(self, si: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        sub = self.db.get("subscription", si["subscription"])
        if len(sub["items"]["data"]) == 1:
            raise InvalidRequest("A subscription must have at least one active plan. To cancel a subscription, "
                                 "please use the cancel API endpoint on /v1/subscriptions.")
        self.update(sub, {"items": [{"id": si["id"], "deleted": "true"}],
                          **{k: params[k] for k in ("proration_behavior", "proration_date") if k in params}})
        return {"id": si["id"], "object": "subscription_item", "deleted": True}
