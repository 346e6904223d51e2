"""The tax engine behind the fake AvaTax: jurisdictions and tax codes from the packaged tables
(``simulators.data``: ``tax/jurisdictions.json``, ``tax/taxcodes.json``, overridable),
line-level rounding (each jurisdiction's tax rounded half-up to cents, then summed), Decimal only.
No Flask here."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from .. import data
from ..core.jsonutil import money
from .errors import AvaTaxError

LONG_TYPE = {"CNT": "Country", "STA": "State", "CTY": "County", "CIT": "City", "STJ": "Special"}
DEFAULT_TAX_CODE = "P0000000"


@dataclass(frozen=True)
class Jurisdiction:
    name: str
    country: str
    region: str
    prefixes: tuple[str, ...]
    city: str
    lat: str
    lon: str
    rows: tuple[dict[str, str], ...]


def _postal_key(value: str) -> str:
    return (value or "").replace(" ", "").upper()


class TaxTables:
    def __init__(self, fixtures: Path | None = None):
        """``fixtures``: a directory holding ``tax/jurisdictions.json`` and ``tax/taxcodes.json`` to use
        instead of the defaults (see ``simulators.data``)."""
        raw = data.load("tax_jurisdictions", fixtures)
        self.jurisdictions = [
            Jurisdiction(j["name"], j["country"].upper(), j["region"].upper(),
                         tuple(_postal_key(p) for p in j["postal_prefixes"]), j.get("city", ""),
                         j.get("lat", ""), j.get("lon", ""), tuple(j["rows"]))
            for j in raw["jurisdictions"]
        ]
        codes = data.load("tax_codes", fixtures)["taxcodes"]
        self.taxcodes = {c["taxCode"].upper(): c for c in codes}

    # ---- addresses --------------------------------------------------------------------
    def locate(self, address: dict[str, Any]) -> Jurisdiction:
        """Find the jurisdiction of a (lower-cased keys) address, or raise the AvaTax error."""
        country = str(address.get("country") or "").upper()
        country = {"USA": "US", "UNITED STATES": "US", "UK": "GB", "CAN": "CA"}.get(country, country)
        region = str(address.get("region") or "").upper()
        postal = _postal_key(str(address.get("postalcode") or ""))
        if not country or not (postal or address.get("city")):
            raise AvaTaxError("InvalidAddress", "Address is incomplete.",
                              "An address needs at least a country and a postal code (or city and region).",
                              refers_to="Addresses")
        for j in self.jurisdictions:
            if j.country != country:
                continue
            if j.region and region and j.region != region:
                continue
            if not postal:
                if j.city and str(address.get("city", "")).upper() == j.city and (not j.region or j.region == region):
                    return j
                continue
            if any(postal.startswith(p) for p in j.prefixes):
                return j
        raise AvaTaxError("AddressLocationNotFound", "Address not geocoded.",
                          f"The address with postal code '{address.get('postalcode')}' in "
                          f"{country}/{region or '-'} could not be located in any taxing jurisdiction.",
                          refers_to="Addresses")

    # ---- tax codes --------------------------------------------------------------------
    def taxcode(self, code: str | None) -> tuple[str, dict[str, Any], bool]:
        """(canonical code, definition, known?)"""
        key = (code or DEFAULT_TAX_CODE).upper()
        if key in self.taxcodes:
            return self.taxcodes[key]["taxCode"], self.taxcodes[key], True
        return key, self.taxcodes[DEFAULT_TAX_CODE], False

    # ---- a line -----------------------------------------------------------------------
    def line_tax(self, amount: Decimal, juris: Jurisdiction, code_def: dict[str, Any], exempt: bool,
                 country: str) -> dict[str, Any]:
        """Per-jurisdiction details and line totals for one line amount."""
        place = f"{juris.country}/{juris.region}"
        taxable_code = bool(code_def.get("taxable")) and place not in code_def.get("exempt_in", [])
        base_share = Decimal(code_def.get("base", {}).get(place, "1"))
        details, tax_total, taxable_total, exempt_total = [], Decimal("0.00"), Decimal("0.00"), Decimal("0.00")
        for row in juris.rows:
            rate = Decimal(row["rate"]) / 100
            if exempt:
                taxable, exempt_amt, non_taxable = Decimal("0.00"), amount, Decimal("0.00")
            elif taxable_code:
                taxable = money(amount * base_share)
                exempt_amt, non_taxable = Decimal("0.00"), amount - taxable
            else:
                taxable, exempt_amt, non_taxable = Decimal("0.00"), Decimal("0.00"), amount
            tax = (taxable * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            details.append({
                "country": juris.country, "region": juris.region or country, "jurisType": row["jurisType"],
                "jurisdictionType": LONG_TYPE[row["jurisType"]], "jurisCode": row["jurisCode"],
                "jurisName": row["jurisName"], "taxName": row["taxName"], "taxType": row.get("taxType", "Sales"),
                "taxSubTypeId": "S", "rateType": "General", "rateTypeCode": "G", "rate": rate,
                "taxableAmount": taxable, "nonTaxableAmount": non_taxable, "exemptAmount": exempt_amt,
                "tax": tax, "taxCalculated": tax, "reportingTax": tax, "reportingTaxableUnits": taxable,
                "reportingNonTaxableUnits": non_taxable, "reportingExemptUnits": exempt_amt,
                "sourcing": "Destination", "taxAuthorityTypeId": 45, "stateAssignedNo": "",
                "liabilityType": "Seller", "chargedTo": "Buyer", "isNonPassThru": False,
            })
            tax_total += tax
            taxable_total = max(taxable_total, taxable)
            exempt_total = max(exempt_total, exempt_amt)
        if not juris.rows:  # no taxing jurisdiction: nothing is taxable
            taxable_total = Decimal("0.00")
        return {"details": details, "tax": tax_total, "taxableAmount": taxable_total,
                "exemptAmount": amount if exempt else exempt_total, "isItemTaxable": taxable_code}


def summarise(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``summary[]`` groups details by jurisdiction, with AvaTax's long jurisdiction types."""
    groups: dict[tuple, dict[str, Any]] = {}
    for line in lines:
        for d in line.get("details", []):
            key = (d["country"], d["region"], d["jurisType"], d["jurisCode"], d["taxName"], d["rate"])
            g = groups.setdefault(key, {
                "country": d["country"], "region": d["region"], "jurisType": LONG_TYPE[d["jurisType"]],
                "jurisCode": d["jurisCode"], "jurisName": d["jurisName"], "taxAuthorityType": 45,
                "stateAssignedNo": "", "taxType": d["taxType"], "taxSubType": "S", "taxName": d["taxName"],
                "rateType": "General", "taxable": Decimal("0.00"), "rate": d["rate"], "tax": Decimal("0.00"),
                "taxCalculated": Decimal("0.00"), "nonTaxable": Decimal("0.00"), "exemption": Decimal("0.00"),
            })
            g["taxable"] += d["taxableAmount"]
            g["tax"] += d["tax"]
            g["taxCalculated"] += d["taxCalculated"]
            g["nonTaxable"] += d["nonTaxableAmount"]
            g["exemption"] += d["exemptAmount"]
    return list(groups.values())
