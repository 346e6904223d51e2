"""Tax rates (``/v1/tax_rates``) and customer tax ids (``/v1/customers/{id}/tax_ids``).

Tax ids are checked against the format Stripe documents per ``type`` (the examples column of
docs.stripe.com/billing/customer/tax-ids#supported-tax-id); a value that does not fit is Stripe's
``tax_id_invalid`` ("Invalid value for eu_vat."). Types Stripe verifies against a government database
(EU VAT via VIES, GB VAT via HMRC, AU ABN via the ABR) start ``verification.status=pending``; the others
are ``unavailable``. ``percentage`` and ``inclusive`` of a TaxRate cannot change after creation
(docs.stripe.com/api/tax_rates/update lists neither).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource

EU = "AT BE BG CY CZ DE DK EE ES FI FR GR EL HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI".split()
TAX_ID_FORMATS: dict[str, tuple[str, str | None]] = {   # type -> (pattern, country; None: from the value)
    "eu_vat": (r"(?:" + "|".join(EU) + r")[0-9A-Z]{2,13}", None),
    "gb_vat": (r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})", "GB"),
    "us_ein": (r"\d{2}-\d{7}", "US"),
    "ca_bn": (r"\d{9}", "CA"),
    "ca_gst_hst": (r"\d{9}RT\d{4}", "CA"),
    "au_abn": (r"\d{11}", "AU"),
    "nz_gst": (r"\d{8,9}", "NZ"),
    "in_gst": (r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]", "IN"),
    "jp_cn": (r"\d{13}", "JP"),
    "ch_vat": (r"CHE-\d{3}\.\d{3}\.\d{3} (?:MWST|TVA|IVA)", "CH"),
    "no_vat": (r"\d{9}MVA", "NO"),
    "br_cnpj": (r"\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}", "BR"),
    "mx_rfc": (r"[A-Z&Ñ]{3,4}\d{6}[A-Z0-9]{3}", "MX"),
    "sg_uen": (r"\d{8,9}[A-Z]", "SG"),
    "za_vat": (r"4\d{9}", "ZA"),
}
VERIFIED = ("eu_vat", "gb_vat", "au_abn")
RATE_FIELDS = ("country", "description", "jurisdiction", "state", "tax_type")


class TaxStore(Resource):
    # ---- tax rates ------------------------------------------------------------------------------------
    def create_tax_rate(self, params: dict[str, Any]) -> dict[str, Any]:
        name = P.string(params, "display_name", required=True)
        inclusive = P.boolean(params, "inclusive")
        if inclusive is None:
            raise InvalidRequest("Missing required param: inclusive.", param="inclusive", code="parameter_missing")
        raw = P.string(params, "percentage", required=True)
        try:
            pct = Decimal(raw)
        except InvalidOperation:
            raise InvalidRequest(f"Invalid decimal: {raw}", param="percentage")
        if not pct.is_finite() or not 0 <= pct <= 100 or -pct.as_tuple().exponent > 4:
            raise InvalidRequest("The percentage must be between 0 and 100 with at most 4 decimal places.",
                                 param="percentage")
        rate = {
            "id": self.db.new_id("txr"), "object": "tax_rate", "active": P.boolean(params, "active", default=True),
            "created": self.db.now(), "display_name": name, "effective_percentage": float(pct), "flat_amount": None,
            "inclusive": inclusive, "jurisdiction_level": None, "livemode": False, "metadata": P.metadata(params),
            "percentage": float(pct), "rate_type": "percentage",
            **{k: P.string(params, k) for k in RATE_FIELDS},
        }
        self.db.put(rate)
        self.hub.events.emit("tax_rate.created", rate)
        return rate

    def update_tax_rate(self, rate: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        before = self.db.snapshot(rate)
        if "active" in params:
            rate["active"] = P.boolean(params, "active")
        if params.get("display_name") not in (None, ""):
            rate["display_name"] = P.string(params, "display_name")
        for key in RATE_FIELDS:
            if key in params:
                rate[key] = P.string(params, key) or None
        rate["metadata"] = P.metadata(params, rate["metadata"])
        self.hub.events.emit("tax_rate.updated", rate, {k: v for k, v in before.items() if rate.get(k) != v})
        return rate

    def list_tax_rates(self, params: dict[str, Any]) -> dict[str, Any]:
        active, inclusive = P.boolean(params, "active"), P.boolean(params, "inclusive")
        return self.db.list_objects("tax_rate", params, "/v1/tax_rates",
                                    lambda o: (active is None or o["active"] == active)
                                    and (inclusive is None or o["inclusive"] == inclusive))

    # ---- customer tax ids ---------------------------------------------------------------------------------
    def create_tax_id(self, cus: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        kind = P.string(params, "type", required=True)
        value = P.string(params, "value", required=True)
        if kind not in TAX_ID_FORMATS:
            raise InvalidRequest(f"Invalid type: must be one of {', '.join(sorted(TAX_ID_FORMATS))}", param="type")
        pattern, country = TAX_ID_FORMATS[kind]
        value = value.strip()
        if not re.fullmatch(pattern, value.upper() if kind != "ch_vat" else value):
            raise InvalidRequest(f"Invalid value for {kind}.", param="value", code="tax_id_invalid")
        if country is None:
            prefix = value[:2].upper()
            country = {"EL": "GR", "XI": "GB"}.get(prefix, prefix)
        tid = {
            "id": self.db.new_id("txi"), "object": "tax_id", "country": country, "created": self.db.now(),
            "customer": cus["id"], "livemode": False, "owner": {"customer": cus["id"], "type": "customer"},
            "type": kind, "value": value,
            "verification": {"status": "pending" if kind in VERIFIED else "unavailable",
                             "verified_address": None, "verified_name": None},
        }
        self.db.put(tid)
        self.hub.events.emit("customer.tax_id.created", tid)
        return tid

    def customer_tax_id(self, cus: dict[str, Any], tid: str) -> dict[str, Any]:
        obj = self.db.get("tax_id", tid)
        if obj["customer"] != cus["id"]:
            self.db.get("tax_id", "")   # another customer's tax id is a 404 here
        return obj

    def delete_tax_id(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.hub.events.emit("customer.tax_id.deleted", obj)
        gone = {"id": obj["id"], "object": "tax_id", "deleted": True}
        self.db.d["objects"][obj["id"]] = gone
        return gone
