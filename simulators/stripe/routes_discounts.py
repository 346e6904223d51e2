"""Routes: coupons and promotion codes (business logic in state/discounts.py)."""
from __future__ import annotations

from .routes import expand
from .state import StripeState

S = StripeState


def coupon_create(st: S, p):
    return st.render(st.discounts.create_coupon(p), expand(p))


def coupon_retrieve(st: S, p, id):
    return st.render(st.discounts.coupon(id, param="id"), expand(p))


def coupon_update(st: S, p, id):
    return st.render(st.discounts.update_coupon(st.discounts.coupon(id, param="id"), p), expand(p))


def coupon_delete(st: S, p, id):
    return st.discounts.delete_coupon(st.discounts.coupon(id, param="id"))


def coupon_list(st: S, p):
    return st.render(st.discounts.list_coupons(p), expand(p))


def promo_create(st: S, p):
    return st.render(st.discounts.create_promotion_code(p), expand(p))


def promo_retrieve(st: S, p, id):
    return st.render(st.get("promotion_code", id), expand(p))


def promo_update(st: S, p, id):
    return st.render(st.discounts.update_promotion_code(st.get("promotion_code", id), p), expand(p))


def promo_list(st: S, p):
    return st.render(st.discounts.list_promotion_codes(p), expand(p))


TABLE = [
    ("POST", "/v1/coupons", "coupons.create", coupon_create),
    ("GET", "/v1/coupons", "coupons.list", coupon_list),
    ("GET", "/v1/coupons/<id>", "coupons.retrieve", coupon_retrieve),
    ("POST", "/v1/coupons/<id>", "coupons.update", coupon_update),
    ("DELETE", "/v1/coupons/<id>", "coupons.delete", coupon_delete),
    ("POST", "/v1/promotion_codes", "promotion_codes.create", promo_create),
    ("GET", "/v1/promotion_codes", "promotion_codes.list", promo_list),
    ("GET", "/v1/promotion_codes/<id>", "promotion_codes.retrieve", promo_retrieve),
    ("POST", "/v1/promotion_codes/<id>", "promotion_codes.update", promo_update),
]
