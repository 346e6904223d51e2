"""Customers, Products, Prices and test clocks."""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _address(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    return {k: raw.get(k) or None for k in ADDRESS_KEYS}


class CustomerStore(Resource):
    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        cus = {
            "id": self.db.new_id("cus"), "object": "customer", "address": _address(params.get("address")),
            "balance": P.integer(params, "balance", default=0), "created": self.db.now(), "currency": None,
            "default_source": None, "delinquent": False, "description": P.string(params, "description"),
            "discount": None, "email": P.string(params, "email"),
            "invoice_prefix": self.sim.ids.token(8, "0123456789ABCDEF"),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                                 "rendering_options": None},
            "livemode": False, "metadata": P.metadata(params), "name": P.string(params, "name"),
            "next_invoice_sequence": 1, "phone": P.string(params, "phone"),
            "preferred_locales": params.get("preferred_locales") or [], "shipping": None,
            "tax_exempt": P.string(params, "tax_exempt", default="none", choices=("none", "exempt", "reverse")),
            "test_clock": None,
        }
        if params.get("test_clock"):
            cus["test_clock"] = self.db.get("test_helpers.test_clock", params["test_clock"], param="test_clock")["id"]
        self.db.put(cus)
        if params.get("payment_method"):
            pm = self.hub.payment_methods.resolve_pm(params["payment_method"])
            self.hub.payment_methods.attach(pm, cus["id"])
        if params.get("source"):
            # a token saved as the customer's default card (docs.stripe.com/api/customers/create#create_customer-source)
            cus["default_source"] = self.hub.charges.new_card(P.string(params, "source"), cus["id"])["id"]
        self._invoice_settings(cus, params)
        self.hub.events.emit("customer.created", cus)
        return cus

    def _invoice_settings(self, cus: dict[str, Any], params: dict[str, Any]) -> None:
        settings = params.get("invoice_settings")
        if not isinstance(settings, dict):
            return
        if "default_payment_method" in settings:
            ref = settings["default_payment_method"]
            if ref:
                pm = self.hub.payment_methods.resolve_pm(ref, param="invoice_settings[default_payment_method]")
                if pm["customer"] != cus["id"]:
                    if pm["customer"] is None and ref != pm["id"]:  # magic id: attach the fresh pm
                        self.hub.payment_methods.attach(pm, cus["id"])
                    else:
                        raise InvalidRequest(f"No such PaymentMethod: '{ref}'; It's possible this PaymentMethod "
                                             "exists on one of your connected accounts...",
                                             param="invoice_settings[default_payment_method]",
                                             code="resource_missing")
                cus["invoice_settings"]["default_payment_method"] = pm["id"]
            else:
                cus["invoice_settings"]["default_payment_method"] = None
        if "footer" in settings:
            cus["invoice_settings"]["footer"] = settings["footer"] or None

    def update(self, cus: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        before = self.db.snapshot(cus)
        for key in ("description", "email", "name", "phone"):
            if key in params:
                cus[key] = params[key] or None
        if "address" in params:
            cus["address"] = _address(params["address"])
        if "tax_exempt" in params:
            cus["tax_exempt"] = P.string(params, "tax_exempt", choices=("none", "exempt", "reverse"))
        if "balance" in params:
            cus["balance"] = P.integer(params, "balance")
        cus["metadata"] = P.metadata(params, cus["metadata"])
        self._invoice_settings(cus, params)
        previous = {k: v for k, v in before.items() if cus.get(k) != v}
        if previous:
            self.hub.events.emit("customer.updated", cus, previous)
        return cus

    def delete(self, cus: dict[str, Any]) -> dict[str, Any]:
        gone = {"id": cus["id"], "object": "customer", "deleted": True}
        self.hub.events.emit("customer.deleted", cus)
        self.db.d["objects"][cus["id"]] = gone
        return gone

    def list_customers(self, params: dict[str, Any]) -> dict[str, Any]:
        email, clock = params.get("email"), params.get("test_clock")
        where = None
        if email or clock:
            def where(c):
                return (not email or c.get("email") == email) and (not clock or c.get("test_clock") == clock)
        return self.db.list_objects("customer", params, "/v1/customers", where)

    # ---- products and prices ---------------------------------------------------------------
    def create_product(self, params: dict[str, Any]) -> dict[str, Any]:
        prod = {
            "id": params.get("id") or self.db.new_id("prod"), "object": "product",
            "active": P.boolean(params, "active", default=True), "created": self.db.now(), "default_price": None,
            "description": P.string(params, "description"), "images": [], "livemode": False,
            "marketing_features": [], "metadata": P.metadata(params), "name": P.string(params, "name", required=True),
            "package_dimensions": None, "shippable": None, "statement_descriptor": None, "tax_code": None,
            "type": "service", "unit_label": None, "updated": self.db.now(), "url": None,
        }
        if prod["id"] in self.db.d["objects"]:
            raise InvalidRequest(f"Product already exists.", param="id", code="resource_already_exists")
        self.db.put(prod)
        self.hub.events.emit("product.created", prod)
        return prod

    def update_product(self, prod: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        for key in ("name", "description"):
            if key in params:
                prod[key] = params[key] or None
        if "active" in params:
            prod["active"] = P.boolean(params, "active")
        prod["metadata"] = P.metadata(params, prod["metadata"])
        prod["updated"] = self.db.now()
        self.hub.events.emit("product.updated", prod)
        return prod

    def delete_product(self, prod: dict[str, Any]) -> dict[str, Any]:
        """docs.stripe.com/api/products/delete: only a product with no prices can be deleted."""
        if any(self.db.d["objects"][pid]["product"] == prod["id"] for pid in self.db.d["order"].get("price", [])):
            raise InvalidRequest("This product cannot be deleted because it has one or more user-created prices.",
                                 param="id")
        gone = {"id": prod["id"], "object": "product", "deleted": True}
        self.hub.events.emit("product.deleted", prod)
        self.db.d["objects"][prod["id"]] = gone
        return gone

    def create_price(self, params: dict[str, Any]) -> dict[str, Any]:
        product = params.get("product")
        if not product and isinstance(params.get("product_data"), dict):
            product = self.create_product(params["product_data"])["id"]
        self.db.get("product", product, param="product")
        unit = P.integer(params, "unit_amount", minimum=0)
        if unit is None and params.get("unit_amount_decimal") is None:
            raise InvalidRequest("Missing required param: unit_amount.", param="unit_amount", code="parameter_missing")
        recurring = params.get("recurring") if isinstance(params.get("recurring"), dict) else None
        price = {
            "id": self.db.new_id("price"), "object": "price", "active": P.boolean(params, "active", default=True),
            "billing_scheme": "per_unit", "created": self.db.now(),
            "currency": P.string(params, "currency", required=True).lower(), "custom_unit_amount": None,
            "livemode": False, "lookup_key": P.string(params, "lookup_key"), "metadata": P.metadata(params),
            "nickname": P.string(params, "nickname"), "product": product,
            "recurring": ({"interval": recurring.get("interval", "month"),
                           "interval_count": int(recurring.get("interval_count", 1)), "meter": None,
                           "usage_type": "licensed"} if recurring else None),
            "tax_behavior": P.string(params, "tax_behavior", default="unspecified"), "tiers_mode": None,
            "transform_quantity": None, "type": "recurring" if recurring else "one_time",
            "unit_amount": unit if unit is not None else int(str(params["unit_amount_decimal"]).split(".")[0]),
            "unit_amount_decimal": str(unit if unit is not None else params["unit_amount_decimal"]),
        }
        self.db.put(price)
        self.hub.events.emit("price.created", price)
        return price

    def update_price(self, price: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if "active" in params:
            price["active"] = P.boolean(params, "active")
        for key in ("nickname", "lookup_key"):
            if key in params:
                price[key] = params[key] or None
        price["metadata"] = P.metadata(params, price["metadata"])
        self.hub.events.emit("price.updated", price)
        return price

    # ---- test clocks -------------------------------------------------------------------------
    def create_test_clock(self, params: dict[str, Any]) -> dict[str, Any]:
        frozen = P.integer(params, "frozen_time", required=True)
        clock = {"id": self.db.new_id("clock"), "object": "test_helpers.test_clock", "created": self.db.now(),
                 "deletes_after": self.db.now() + 30 * 86400, "frozen_time": frozen, "livemode": False,
                 "name": P.string(params, "name"), "status": "ready",
                 "status_details": {}}
        self.db.put(clock)
        self.hub.events.emit("test_helpers.test_clock.created", clock)
        return clock

    def advance_test_clock(self, clock: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Stripe advances asynchronously (status advancing -> ready). Here the advance is a job due
        at once on the shared clock: it moves the shared simulated clock to ``frozen_time`` (never
        backwards), which runs every job due on the way, then marks the clock ready."""
        target = P.integer(params, "frozen_time", required=True)
        if target <= clock["frozen_time"]:
            raise InvalidRequest("The frozen time must be after the current frozen time of the test clock.",
                                 param="frozen_time")
        if target > clock["frozen_time"] + 2 * 366 * 86400:
            raise InvalidRequest("Cannot advance more than two years at a time.", param="frozen_time")
        if clock["status"] == "advancing":
            raise InvalidRequest("The test clock is already advancing.", code="test_clock_advancing")
        clock["status"] = "advancing"
        clock["status_details"] = {"advancing": {"target_frozen_time": target}}
        self.hub.events.emit("test_helpers.test_clock.advancing", clock)
        delta = target - clock["frozen_time"]
        cid = clock["id"]

        def run() -> None:
            from datetime import timedelta
            goal = self.clock.now() + timedelta(seconds=delta)
            self.clock.advance_to(goal)
            with self.lock:
                obj = self.db.find(cid)
                if obj and obj.get("object") == "test_helpers.test_clock":
                    obj.update(status="ready", status_details={}, frozen_time=target)
                    self.hub.events.emit("test_helpers.test_clock.ready", obj)

        self.clock.schedule(0, run, name=f"advance test clock {cid}", owner=self.sim.name)
        return clock

    def delete_test_clock(self, clock: dict[str, Any]) -> dict[str, Any]:
        gone = {"id": clock["id"], "object": "test_helpers.test_clock", "deleted": True}
        self.db.d["objects"][clock["id"]] = gone
        self.hub.events.emit("test_helpers.test_clock.deleted", clock)
        return gone
