"""The tax engine behind the fake AvaTax: places and tax codes from the packaged tables
(``simulators.data``: ``tax/jurisdictions.json``, ``tax/taxcodes.json``, overridable),
line-level rounding (each jurisdiction's tax rounded half-up to cents, then summed), Decimal only.

What a line's tax depends on, as AvaTax documents it:
- ``taxIncluded``: the amount is the target total; AvaTax backs the tax out so that amount + tax
  equals it ("Calculating TaxIncluded", developer.avalara.com/blog/2017/11/08: $100 in Irvine at
  7.75% -> tax $7.19, amount $92.81).
- a document ``discount`` is spread over the lines marked ``discounted: true`` in proportion to
  their amounts and lowers their taxable amount; ``lineAmount`` stays gross and ``discountAmount``
  shows the share (developer.avalara.com/avatax-for-ap "Automatically distributed discounts";
  help.avalara.com "In Avatax is the line amount gross or net of the discount?").
- exemption (``exemptionNo``, ``entityUseCode``/``customerUsageType``, or an exemption certificate
  passed in as ``ExemptionInfo``): no tax, the amount is ``exemptAmount``.
- nexus: a company that does not collect in a jurisdiction charges no tax there; the amount is
  non-taxable with ``nonTaxableType: NexusRule`` ("Reasons tax can be zero", developer.avalara.com).
No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Iterable

from .. import data
from ..core.jsonutil import money
from .places import LONG_TYPE, Place, PlaceTable, Rate, Resolution

__all__ = ["LONG_TYPE", "DEFAULT_TAX_CODE", "ENTITY_USE_CODES", "ExemptionInfo", "TaxTables", "distribute_discount",
           "exemption_of", "has_nexus",
           "summarise", "Resolution"]

DEFAULT_TAX_CODE = "P0000000"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")   # Decimals are immutable: one zero shared by every sum
# AvaTax's system entity/use codes (help.avalara.com, "Entity/use codes for exempt customers").
# The harness exempts them everywhere; the real engine applies each code by jurisdiction rules.
ENTITY_USE_CODES = {
    "A": "Federal government", "B": "State government", "C": "Tribe / Status Indian / Indian Band",
    "D": "Foreign diplomat", "E": "Charitable or benevolent organization", "F": "Religious organization",
    "G": "Resale", "H": "Commercial agricultural production", "I": "Industrial production / manufacturer",
    "J": "Direct pay permit", "K": "Direct mail", "L": "Other", "M": "Educational organization",
    "N": "Local government", "P": "Commercial aquaculture", "Q": "Commercial fishery", "R": "Non-resident",
}


@dataclass(frozen=True)
class ExemptionInfo:
    """Why a line is exempt: an exemption number, an entity/use code, or a certificate on file
    (``cert_id``) valid in ``regions`` ((country, region) pairs; None: everywhere)."""
    exempt_no: str | None = None
    entity_use_code: str | None = None
    cert_id: int = 0
    regions: frozenset[tuple[str, str]] | None = None

    def applies(self, country: str, region: str) -> bool:
        return self.regions is None or (country, region) in self.regions or (country, "") in self.regions


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def has_nexus(nexus: set[tuple[str, str]] | None, country: str, region: str) -> bool:
    """``nexus`` None: the company collects everywhere. Otherwise the (country, region) pairs where
    it collects; (country, "") is the country-level tax (VAT, Canada's GST/HST federal part)."""
    return nexus is None or (country, region) in nexus


def distribute_discount(discount: Decimal, amounts: list[Decimal]) -> list[Decimal]:
    """A document discount spread over the discounted lines in proportion to their amounts, in
    cents, the rounding remainder on the last line (AvaTax: $30 over $100 and $200 -> $10 and $20)."""
    total = sum(amounts, Decimal("0"))
    if not amounts or not total or not discount:
        return [Decimal("0.00")] * len(amounts)
    shares = [_round(discount * a / total) for a in amounts[:-1]]
    return shares + [money(discount) - sum(shares, Decimal("0.00"))]


class TaxTables:
    def __init__(self, fixtures: Path | None = None):
        """``fixtures``: a directory holding ``tax/jurisdictions.json`` and ``tax/taxcodes.json`` to use
        instead of the defaults (see ``simulators.data``)."""
        self.places = PlaceTable(data.load("tax_jurisdictions", fixtures))
        codes = data.load("tax_codes", fixtures)["taxcodes"]
        self.taxcodes = {c["taxCode"].upper(): c for c in codes}
        self._memo: dict[tuple, tuple] = {}   # see _taxability

    # ---- addresses --------------------------------------------------------------------
    def locate(self, address: dict[str, Any]) -> Resolution:
        return self.places.locate(address)

    def rates_for_address(self, address: dict[str, Any], day: date) -> dict[str, Any]:
        return self.places.rates_for_address(address, day)

    # ---- tax codes --------------------------------------------------------------------
    def taxcode(self, code: str | None) -> tuple[str, dict[str, Any], bool]:
        """(canonical code, definition, known?)"""
        key = (code or DEFAULT_TAX_CODE).upper()
        if key in self.taxcodes:
            return self.taxcodes[key]["taxCode"], self.taxcodes[key], True
        return key, self.taxcodes[DEFAULT_TAX_CODE], False

    # ---- a line -----------------------------------------------------------------------
    def line_tax(self, amount: Decimal, place: Place, code_def: dict[str, Any], *, day: date,
                 exempt: ExemptionInfo | None = None, nexus: set[tuple[str, str]] | None = None,
                 tax_included: bool = False, discount: Decimal = ZERO) -> dict[str, Any]:
        """Per-jurisdiction details and line totals for one line.

        ``amount``: the line amount (tax included when ``tax_included``); ``discount``: this line's
        share of the document discount. Returns details, tax, taxableAmount, exemptAmount,
        lineAmount (``amount`` less the backed-out tax when tax is included), isItemTaxable."""
        taxable_code, share, parts, taxed, exempted, backed_rate = self._plan(place, code_def, day, exempt, nexus)
        net = amount - discount
        if tax_included:   # back the tax out of the target amount: pre-tax amount = net / (1 + rate)
            net = _round(net / (1 + backed_rate))
        taxable = _round(net * share)   # money() of a Decimal, without the string round trip
        details, tax_total = [], ZERO
        for head, tail, rate, kind in parts:
            taxable_amt = taxable if kind == "RateRule" else ZERO
            exempt_amt = net if kind == "ExemptEntityRule" else ZERO
            non_taxable = net - taxable_amt - exempt_amt
            tax = (taxable_amt * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            details.append({**head, "taxableAmount": taxable_amt, "nonTaxableAmount": non_taxable,
                            "exemptAmount": exempt_amt, "tax": tax, "taxCalculated": tax, "reportingTax": tax,
                            "reportingTaxableUnits": taxable_amt, "reportingNonTaxableUnits": non_taxable,
                            "reportingExemptUnits": exempt_amt, **tail})
            tax_total += tax
        line_amount = amount - tax_total if tax_included else amount
        return {"details": details, "tax": tax_total, "taxableAmount": taxable if taxed else ZERO,
                "exemptAmount": net if exempted else ZERO, "lineAmount": line_amount,
                "discountAmount": _round(discount), "isItemTaxable": taxable_code}

    def _plan(self, place: Place, code_def: dict[str, Any], day: date, exempt: ExemptionInfo | None,
              nexus: set[tuple[str, str]] | None) -> tuple:
        """What a line's tax at ``place`` on ``day`` depends on besides its amount: taxable?, the
        taxed share, each jurisdiction's detail parts and rule, whether any is taxed or exempt,
        and the rate a tax-included amount is backed out with."""
        key = ("plan", id(place), id(code_def), day, exempt, None if nexus is None else frozenset(nexus))
        hit = self._memo.get(key)
        if hit is None:
            taxable_code, share = self._taxability(code_def, place)
            rows = self._rows(place, day)
            kinds = [self._kind(r, place, taxable_code, exempt, nexus) for r in rows]
            parts = tuple((*_detail_parts(r, place, k), k) for r, k in zip(rows, kinds))
            backed = sum((r.rate for r, k in zip(rows, kinds) if k == "RateRule"), Decimal("0")) / 100 * share
            hit = self._keep(key, (taxable_code, share, parts, "RateRule" in kinds,
                                   bool(rows) and "ExemptEntityRule" in kinds, backed, place, code_def))
        return hit[:6]

    # What depends only on the read-only tables (a place, a tax code, a day, a rate row) is worked
    # out once and kept (``_memo``), keyed by the objects' ids: each entry holds the objects
    # themselves, so no id is reused while its entry is kept.
    def _taxability(self, code_def: dict[str, Any], place: Place) -> tuple[bool, Decimal]:
        """Whether the code is taxable at the place, and the share of the amount that is taxed."""
        hit = self._memo.get((id(code_def), id(place)))
        if hit is None:
            place_key = f"{place.country}/{place.region}"
            taxable_code = bool(code_def.get("taxable")) and place_key not in code_def.get("exempt_in", [])
            share = Decimal(code_def.get("base", {}).get(place_key, "1"))
            hit = self._keep((id(code_def), id(place)), (taxable_code, share, code_def, place))
        return hit[0], hit[1]

    def _rows(self, place: Place, day: date) -> tuple[Rate, ...]:
        hit = self._memo.get((id(place), day))
        if hit is None:
            hit = self._keep((id(place), day), (tuple(place.rows_on(day)), place))
        return hit[0]

    def _keep(self, key: tuple, value: tuple) -> tuple:
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = value
        return value

    @staticmethod
    def _kind(row: Rate, place: Place, taxable_code: bool, exempt: ExemptionInfo | None,
              nexus: set[tuple[str, str]] | None) -> str:
        """How AvaTax's rule types (TaxRuleTypeId) decide this jurisdiction."""
        if not has_nexus(nexus, place.country, place.region if row.juris_type != "CNT" else ""):
            return "NexusRule"
        if not taxable_code:
            return "ProductTaxabilityRule"
        if exempt is not None and exempt.applies(place.country, place.region):
            return "ExemptEntityRule"
        return "RateRule"


MEMO_SIZE = 16384   # entries the tables' memo keeps; all are dropped when full


def _detail_parts(r: Rate, place: Place, kind: str) -> tuple[dict[str, Any], dict[str, Any], Decimal]:
    """The fields of a jurisdiction detail that do not depend on the amount: those before the
    amounts and those after them (the answer keeps AvaTax's field order), and the rate."""
    rate = r.rate / 100 if kind != "NexusRule" else Decimal("0")
    head = {"country": place.country, "region": place.region or place.country, "jurisType": r.juris_type,
            "jurisdictionType": LONG_TYPE[r.juris_type], "jurisCode": r.juris_code, "jurisName": r.juris_name,
            "taxName": r.tax_name, "taxType": r.tax_type, "taxSubTypeId": "S", "rateType": "General",
            "rateTypeCode": "G", "rate": rate}
    tail = {"nonTaxableType": kind, "nonTaxableRuleId": 0, "sourcing": "Destination", "taxAuthorityTypeId": 45,
            "stateAssignedNo": "", "liabilityType": "Seller", "chargedTo": "Buyer", "isNonPassThru": False}
    return head, tail, rate


def exemption_of(model: dict[str, Any], line: dict[str, Any]) -> tuple[ExemptionInfo | None, list[str]]:
    """The exemption a create-transaction request asks for on one line (lower-cased keys): the
    line's ``exemptionCode``/``entityUseCode``, else the document's ``exemptionNo``/
    ``entityUseCode``/``customerUsageType``. Unknown entity/use codes exempt nothing and are
    returned for a warning."""
    exempt_no = line.get("exemptioncode") or model.get("exemptionno")
    use_code = line.get("entityusecode") or model.get("entityusecode") or model.get("customerusagetype")
    unknown = []
    if use_code and str(use_code).upper() not in ENTITY_USE_CODES:
        unknown.append(str(use_code))
        use_code = None
    if not exempt_no and not use_code:
        return None, unknown
    return ExemptionInfo(exempt_no=exempt_no, entity_use_code=use_code), unknown


def summarise(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``summary[]`` groups details by jurisdiction, with AvaTax's long jurisdiction types."""
    groups: dict[tuple, dict[str, Any]] = {}
    for line in lines:
        for d in line.get("details", []):
            key = (d["country"], d["region"], d["jurisType"], d["jurisCode"], d["taxName"], d["rate"])
            g = groups.get(key)
            if g is None:
                g = groups[key] = {
                    "country": d["country"], "region": d["region"], "jurisType": LONG_TYPE[d["jurisType"]],
                    "jurisCode": d["jurisCode"], "jurisName": d["jurisName"], "taxAuthorityType": 45,
                    "stateAssignedNo": "", "taxType": d["taxType"], "taxSubType": "S", "taxName": d["taxName"],
                    "rateType": "General", "taxable": ZERO, "rate": d["rate"], "tax": ZERO, "taxCalculated": ZERO,
                    "nonTaxable": ZERO, "exemption": ZERO,
                }
            g["taxable"] += d["taxableAmount"]
            g["tax"] += d["tax"]
            g["taxCalculated"] += d["taxCalculated"]
            g["nonTaxable"] += d["nonTaxableAmount"]
            g["exemption"] += d["exemptAmount"]
    return list(groups.values())
