"""Coupons (``/v1/coupons``), promotion codes (``/v1/promotion_codes``) and the Discount objects they
redeem into on invoices and invoice items.

Behaviour as Stripe documents it (docs.stripe.com/api/coupons, docs.stripe.com/api/promotion_codes,
docs.stripe.com/billing/subscriptions/coupons):

- a coupon has ``percent_off`` (0 < p <= 100) or ``amount_off`` with ``currency``; ``duration`` is
  ``once`` / ``repeating`` (with ``duration_in_months``) / ``forever``; only ``name`` and ``metadata``
  can change after creation; ``valid`` turns false once ``redeem_by`` has passed or
  ``times_redeemed`` reached ``max_redemptions``;
- a promotion code is a customer-facing code for a coupon (``promotion[coupon]``); ``code`` is unique
  among active codes (case-insensitive); it can be deactivated and re-activated, has its own
  ``max_redemptions`` / ``expires_at``, and ``restrictions`` (``minimum_amount`` +
  ``minimum_amount_currency``, ``first_time_transaction``);
- ``discounts[][coupon]`` / ``discounts[][promotion_code]`` on an invoice or invoice item create
  Discount objects (``di_...``, ``source={coupon, type: "coupon"}``); redemptions count when the invoice
  is finalized (the invoice is when the discount is "used").
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource

DURATIONS = ("forever", "once", "repeating")


class DiscountStore(Resource):
    # ---- coupons ------------------------------------------------------------------------------------
    def create_coupon(self, params: dict[str, Any]) -> dict[str, Any]:
        pct, amount = params.get("percent_off"), params.get("amount_off")
        if pct in (None, "") and amount in (None, ""):
            raise InvalidRequest("Must provide either `percent_off` or `amount_off`.", param="percent_off",
                                 code="parameter_missing")
        if pct not in (None, "") and amount not in (None, ""):
            raise InvalidRequest("Only one of `percent_off` and `amount_off` may be provided.", param="amount_off")
        percent_off = amount_off = currency = None
        if pct not in (None, ""):
            try:
                pct_dec = Decimal(str(pct))
            except InvalidOperation:
                raise InvalidRequest(f"Invalid decimal: {pct}", param="percent_off")
            if not pct_dec.is_finite() or not 0 < pct_dec <= 100:
                raise InvalidRequest("percent_off must be greater than 0 and less than or equal to 100.",
                                     param="percent_off")
            percent_off = float(pct_dec)
        else:
            amount_off = P.integer(params, "amount_off", minimum=1)
            currency = P.string(params, "currency")
            if not currency:
                raise InvalidRequest("You must pass currency when passing amount_off.", param="currency",
                                     code="parameter_missing")
            currency = currency.lower()
        duration = P.string(params, "duration", default="once", choices=DURATIONS)
        months = P.integer(params, "duration_in_months", minimum=1)
        if duration == "repeating" and months is None:
            raise InvalidRequest("Missing required param: duration_in_months.", param="duration_in_months",
                                 code="parameter_missing")
        if duration != "repeating" and months is not None:
            raise InvalidRequest("duration_in_months can only be set when duration is `repeating`.",
                                 param="duration_in_months")
        redeem_by = P.integer(params, "redeem_by")
        if redeem_by is not None and redeem_by <= self.db.now():
            raise InvalidRequest("redeem_by must be in the future.", param="redeem_by")
        cid = P.string(params, "id") or self.sim.ids.token(8)
        if cid in self.db.d["objects"]:
            raise InvalidRequest("Coupon already exists.", param="id", code="resource_already_exists")
        applies = params.get("applies_to") if isinstance(params.get("applies_to"), dict) else None
        products = None
        if applies is not None:
            products = [self.db.get("product", p, param="applies_to[products]")["id"]
                        for p in (applies.get("products") or [])]
        coupon = {
            "id": cid, "object": "coupon", "amount_off": amount_off,
            "applies_to": {"products": products} if products is not None else None, "created": self.db.now(),
            "currency": currency, "duration": duration, "duration_in_months": months, "livemode": False,
            "max_redemptions": P.integer(params, "max_redemptions", minimum=1), "metadata": P.metadata(params),
            "name": P.string(params, "name"), "percent_off": percent_off, "redeem_by": redeem_by,
            "times_redeemed": 0, "valid": True,
        }
        self.db.put(coupon)
        self.hub.events.emit("coupon.created", coupon)
        return coupon

    def coupon(self, cid: Any, param: str = "coupon") -> dict[str, Any]:
        c = self.db.get("coupon", cid, param=param)
        c["valid"] = self._coupon_problem(c) is None   # redeem_by passes on the simulated clock
        return c

    def update_coupon(self, c: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        before = self.db.snapshot(c)
        if "name" in params:
            c["name"] = P.string(params, "name") or None
        c["metadata"] = P.metadata(params, c["metadata"])
        self.hub.events.emit("coupon.updated", c, {k: v for k, v in before.items() if c.get(k) != v})
        return c

    def delete_coupon(self, c: dict[str, Any]) -> dict[str, Any]:
        """Deleting a coupon keeps existing discounts; new redemptions are refused (it is gone)."""
        self.hub.events.emit("coupon.deleted", c)
        gone = {"id": c["id"], "object": "coupon", "deleted": True}
        self.db.d["objects"][c["id"]] = gone
        return gone

    def list_coupons(self, params: dict[str, Any]) -> dict[str, Any]:
        out = self.db.list_objects("coupon", params, "/v1/coupons")
        for c in out["data"]:
            c["valid"] = self._coupon_problem(c) is None
        return out

    def _coupon_problem(self, c: dict[str, Any]) -> str | None:
        if c["redeem_by"] is not None and self.db.now() >= c["redeem_by"]:
            return "expired"
        if c["max_redemptions"] is not None and c["times_redeemed"] >= c["max_redemptions"]:
            return "used up"
        return None

    # ---- promotion codes ----------------------------------------------------------------------------
    def create_promotion_code(self, params: dict[str, Any]) -> dict[str, Any]:
        promo = params.get("promotion") if isinstance(params.get("promotion"), dict) else None
        if promo is None:
            raise InvalidRequest("Missing required param: promotion.", param="promotion", code="parameter_missing")
        P.string(promo, "type", required=True, choices=("coupon",), label="promotion[type]")
        coupon = self.coupon(P.string(promo, "coupon", required=True, label="promotion[coupon]"),
                             param="promotion[coupon]")
        code = P.string(params, "code") or self.sim.ids.token(8).upper()
        active = P.boolean(params, "active", default=True)
        if active:
            self._code_free(code)
        customer = None
        if params.get("customer"):
            customer = self.db.get("customer", params["customer"], param="customer")["id"]
        r = params.get("restrictions") if isinstance(params.get("restrictions"), dict) else {}
        minimum = P.integer(r, "minimum_amount", minimum=0, label="restrictions[minimum_amount]")
        min_cur = P.string(r, "minimum_amount_currency", label="restrictions[minimum_amount_currency]")
        if minimum is not None and not min_cur:
            raise InvalidRequest("Missing required param: restrictions[minimum_amount_currency].",
                                 param="restrictions[minimum_amount_currency]", code="parameter_missing")
        expires = P.integer(params, "expires_at")
        if expires is not None and coupon["redeem_by"] is not None and expires > coupon["redeem_by"]:
            raise InvalidRequest("The promotion code's `expires_at` may not be after the coupon's `redeem_by`.",
                                 param="expires_at")
        pc = {
            "id": self.db.new_id("promo"), "object": "promotion_code", "active": active, "code": code,
            "created": self.db.now(), "customer": customer, "customer_account": None, "expires_at": expires,
            "livemode": False, "max_redemptions": P.integer(params, "max_redemptions", minimum=1),
            "metadata": P.metadata(params), "promotion": {"coupon": coupon["id"], "type": "coupon"},
            "restrictions": {"currency_options": {}, "first_time_transaction": bool(
                P.boolean(r, "first_time_transaction", label="restrictions[first_time_transaction]")),
                "minimum_amount": minimum, "minimum_amount_currency": min_cur.lower() if min_cur else None},
            "times_redeemed": 0,
        }
        self.db.put(pc)
        self.hub.events.emit("promotion_code.created", pc)
        return pc

    def _code_free(self, code: str, but: str | None = None) -> None:
        for pid in self.db.d["order"].get("promotion_code", []):
            other = self.db.d["objects"][pid]
            if other["id"] != but and other["active"] and other["code"].lower() == code.lower():
                raise InvalidRequest("An active promotion code with `code: " + code + "` already exists.",
                                     param="code")

    def update_promotion_code(self, pc: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        before = self.db.snapshot(pc)
        if "active" in params:
            active = P.boolean(params, "active")
            if active and not pc["active"]:
                self._code_free(pc["code"], but=pc["id"])
            pc["active"] = active
        pc["metadata"] = P.metadata(params, pc["metadata"])
        self.hub.events.emit("promotion_code.updated", pc, {k: v for k, v in before.items() if pc.get(k) != v})
        return pc

    def list_promotion_codes(self, params: dict[str, Any]) -> dict[str, Any]:
        active, code = P.boolean(params, "active"), params.get("code")
        coupon, customer = params.get("coupon"), params.get("customer")
        return self.db.list_objects("promotion_code", params, "/v1/promotion_codes", lambda o: (
            (active is None or o["active"] == active) and (not code or o["code"] == code)
            and (not coupon or o["promotion"]["coupon"] == coupon) and (not customer or o["customer"] == customer)))

    # ---- discounts ----------------------------------------------------------------------------------
    def make_discounts(self, raw: Any, label: str, customer: str, currency: str, invoice: str | None,
                       item: str | None = None) -> list[str]:
        """``discounts[]`` of a create/update call -> Discount ids (``""`` clears)."""
        if raw in ("", None):
            return []
        if not isinstance(raw, list):
            raise InvalidRequest("Invalid array", param=label)
        out: list[str] = []
        for i, spec in enumerate(raw):
            where = f"{label}[{i}]"
            if not isinstance(spec, dict) or sum(bool(spec.get(k)) for k in
                                                  ("coupon", "promotion_code", "discount")) != 1:
                raise InvalidRequest("You must pass exactly one of `coupon`, `promotion_code` or `discount`.",
                                     param=where)
            if spec.get("discount"):
                out.append(self.db.get("discount", spec["discount"], param=f"{where}[discount]")["id"])
                continue
            pc = None
            if spec.get("promotion_code"):
                pc = self.db.get("promotion_code", spec["promotion_code"], param=f"{where}[promotion_code]")
                self._check_code(pc, customer, f"{where}[promotion_code]")
                coupon = self.coupon(pc["promotion"]["coupon"], param=f"{where}[promotion_code]")
            else:
                coupon = self.coupon(spec["coupon"], param=f"{where}[coupon]")
            self._check_coupon(coupon, currency, f"{where}[{'promotion_code' if pc else 'coupon'}]")
            if any(self.db.d["objects"][d]["source"]["coupon"] == coupon["id"] for d in out):
                raise InvalidRequest("You cannot apply the same coupon more than once.", param=where)
            di = {
                "id": self.db.new_id("di"), "object": "discount", "checkout_session": None, "customer": customer,
                "customer_account": None, "end": None, "invoice": invoice, "invoice_item": item,
                "promotion_code": pc["id"] if pc else None, "source": {"coupon": coupon["id"], "type": "coupon"},
                "start": self.db.now(), "subscription": None, "subscription_item": None,
            }
            self.db.put(di)
            self.db.internal(di["id"])["coupon"] = self.db.snapshot(coupon)   # a deleted coupon keeps its discounts
            out.append(di["id"])
        return out

    def _check_coupon(self, coupon: dict[str, Any], currency: str, param: str) -> None:
        problem = self._coupon_problem(coupon)
        if problem == "expired":
            raise InvalidRequest(f"Coupon expired: {coupon['id']}", param=param, code="coupon_expired")
        if problem:
            raise InvalidRequest(f"Coupon {coupon['id']} has reached its maximum number of redemptions.",
                                 param=param, code="coupon_expired")
        if coupon["amount_off"] is not None and coupon["currency"] != currency:
            raise InvalidRequest(f"The coupon's currency ({coupon['currency']}) does not match the currency of "
                                 f"this invoice ({currency}).", param=param)

    def _check_code(self, pc: dict[str, Any], customer: str, param: str) -> None:
        if not pc["active"]:
            raise InvalidRequest(f"This promotion code is inactive: {pc['code']}", param=param)
        if pc["expires_at"] is not None and self.db.now() >= pc["expires_at"]:
            raise InvalidRequest(f"This promotion code has expired: {pc['code']}", param=param)
        if pc["max_redemptions"] is not None and pc["times_redeemed"] >= pc["max_redemptions"]:
            raise InvalidRequest(f"This promotion code has reached its maximum number of redemptions: "
                                 f"{pc['code']}", param=param)
        if pc["customer"] not in (None, customer):
            raise InvalidRequest("This promotion code cannot be redeemed by this customer.", param=param)
        if pc["restrictions"]["first_time_transaction"] and self._has_paid_before(customer):
            raise InvalidRequest("This promotion code is only valid for first-time transactions.", param=param)

    def _has_paid_before(self, customer: str) -> bool:
        objs = self.db.d["objects"]
        return any(objs[i].get("customer") == customer and objs[i].get("status") in ("paid", "open")
                   for i in self.db.d["order"].get("invoice", []))

    def redeem_discounts(self, inv: dict[str, Any]) -> None:
        """At finalization: check minimum amounts, then count each coupon / promotion code once."""
        ids = list(inv["discounts"]) + [d for line in inv["lines"]["data"] for d in line["discounts"]]
        for did in dict.fromkeys(ids):
            di = self.db.d["objects"][did]
            pc = self.db.find(di["promotion_code"])
            r = pc["restrictions"] if pc else None
            if r and r["minimum_amount"] is not None and (r["minimum_amount_currency"] != inv["currency"]
                                                          or inv["subtotal"] < r["minimum_amount"]):
                raise InvalidRequest(f"This promotion code requires a minimum amount of {r['minimum_amount']} "
                                     f"{r['minimum_amount_currency']}.", param="discounts")
        for did in dict.fromkeys(ids):
            di = self.db.d["objects"][did]
            coupon = self.db.find(di["source"]["coupon"])
            if coupon and not coupon.get("deleted"):
                coupon["times_redeemed"] += 1
                coupon["valid"] = self._coupon_problem(coupon) is None
            pc = self.db.find(di["promotion_code"])
            if pc:
                pc["times_redeemed"] += 1
