"""AvaTax definitions and address lookups from the tax tables: tax codes, entity use codes,
jurisdictions and tax rates at an address, address resolution. Read-only: no lock. No Flask here."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine import LONG_TYPE

# AvaTax's standard entity use (exemption reason) codes (developer.avalara.com, "Entity/Use codes").
ENTITY_USE_CODES = [
    ("A", "FEDERAL GOV"), ("B", "STATE GOV"), ("C", "TRIBE / STATUS INDIAN / INDIAN BAND"),
    ("D", "FOREIGN DIPLOMAT"), ("E", "CHARITABLE OR BENEVOLENT ORG"), ("F", "RELIGIOUS ORGANIZATION"),
    ("G", "RESALE"), ("H", "COMMERCIAL AGRICULTURAL PRODUCTION"), ("I", "INDUSTRIAL PRODUCTION / MANUFACTURER"),
    ("J", "DIRECT PAY PERMIT"), ("K", "DIRECT MAIL"), ("L", "OTHER OR CUSTOM"), ("M", "EDUCATIONAL ORG"),
    ("N", "LOCAL GOVERNMENT"), ("P", "COMMERCIAL AQUACULTURE"), ("Q", "COMMERCIAL FISHERY"), ("R", "NON-RESIDENT"),
]


class Definitions:
    def __init__(self, tables, sim):
        self.sim = sim
        self.tables = tables

    def taxcodes(self, company_id: int = 0) -> list[dict[str, Any]]:
        return [{"id": i, "companyId": company_id, "taxCode": c["taxCode"], "taxCodeTypeId": c["taxCodeTypeId"],
                 "description": c["description"], "parentTaxCode": None, "isPhysical": c["isPhysical"],
                 "goodsServiceCode": 0, "entityUseCode": "", "isActive": True, "isSSTCertified": False}
                for i, c in enumerate(self.tables.taxcodes.values(), start=1)]

    def entity_use_codes(self) -> list[dict[str, Any]]:
        return [{"code": code, "name": name, "description": name.title(), "validCountries": ["US"]}
                for code, name in ENTITY_USE_CODES]

    def tax_rates(self, addr: dict[str, Any]) -> dict[str, Any]:
        """TaxRateModel: the general sales tax rates at an address (TaxRates by address / postal code)."""
        return self.tables.rates_for_address(addr, self.sim.now().date())

    def jurisdictions_near(self, addr: dict[str, Any]) -> list[dict[str, Any]]:
        """JurisdictionOverrideModel-like rows for ``definitions/jurisdictionsnearaddress``."""
        juris = self.tables.locate(addr).place
        return [{"code": r.juris_code, "name": r.juris_name, "type": LONG_TYPE[r.juris_type],
                 "rate": r.rate / 100, "salesRate": r.rate / 100, "region": juris.region,
                 "country": juris.country, "signatureCode": "", "isLocalAdmin": False}
                for r in juris.rows_on(self.sim.now().date())]

    def resolve_address(self, addr: dict[str, Any]) -> dict[str, Any]:
        where = self.tables.locate(addr)
        juris = where.place
        canonical = {"line1": addr.get("line1", ""), "line2": addr.get("line2", ""), "line3": addr.get("line3", ""),
                     "city": (addr.get("city") or juris.city).upper(), "region": juris.region,
                     "country": juris.country, "postalCode": addr.get("postalcode", ""),
                     "addressType": "StreetOrResidentialAddress"}
        return {
            "address": {k: addr.get(k.lower(), "") for k in ("line1", "line2", "line3", "city", "region", "country", "postalCode")},
            "validatedAddresses": [dict(canonical, latitude=juris.lat, longitude=juris.lon)],
            "coordinates": {"latitude": juris.lat, "longitude": juris.lon},
            "resolutionQuality": {"City": "Intersection", "Zip5": "PostalCentroidGood"}.get(where.boundary,
                                                                                        "PostalCentroidPoor"),
            "taxAuthorities": [{"avalaraId": r.juris_code, "jurisdictionName": r.juris_name,
                                "jurisdictionType": LONG_TYPE[r.juris_type], "signatureCode": ""}
                               for r in juris.rows_on(self.sim.now().date())],
            "messages": where.messages,
        }
