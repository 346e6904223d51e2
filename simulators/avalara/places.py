"""Where an address is taxed: the places of the packaged rate table (``tax/jurisdictions.json``:
US states and cities, Canadian provinces, the EU-27 and the UK, each row with its source and
effective date), resolved from street/city/region/postal code the way AvaTax does it.

AvaTax geocodes the street address; when the address cannot be validated it falls back to
ZIP+4 and then to the 5-digit ZIP code, so a city that disagrees with its postal code is taxed
where the postal code is ("Does Avatax calculate using Zip + 4 or just Zip 5?", help.avalara.com).
A postal code in another state cannot be validated at all (help.avalara.com, "Troubleshoot Address
Validation Errors in AvaTax"), and a location it cannot find is ``JurisdictionNotFoundError``
(developer.avalara.com/blog/2013/06/28/testing-gettax-with-address-errors). No Flask here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import AvaTaxError

LONG_TYPE = {"CNT": "Country", "STA": "State", "CTY": "County", "CIT": "City", "STJ": "Special"}
COUNTRY_ALIASES = {"USA": "US", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "UK": "GB",
                   "UNITED KINGDOM": "GB", "GREAT BRITAIN": "GB", "CAN": "CA", "CANADA": "CA"}
CITY_ALIASES = {"NYC": "NEW YORK", "NEW YORK CITY": "NEW YORK", "MANHATTAN": "NEW YORK", "BROOKLYN": "NEW YORK",
                "QUEENS": "NEW YORK", "BRONX": "NEW YORK", "STATEN ISLAND": "NEW YORK"}
SOURCE = "o2c-harness"


@dataclass(frozen=True)
class Rate:
    """One version of one jurisdiction's rate (a percentage), in force from ``effective``."""
    juris_type: str
    juris_code: str
    juris_name: str
    tax_name: str
    rate: Decimal
    effective: date
    tax_type: str
    source: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.juris_type, self.juris_code, self.tax_name


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    region: str
    city: str
    postal: tuple[str, ...]
    lat: str
    lon: str
    source: str
    effective: date
    versions: tuple[Rate, ...]
    level: str = "City"

    def rows_on(self, day: date) -> list[Rate]:
        """Each jurisdiction's rate in force on ``day``: the latest version effective on or before
        it; before the first known version, the first one (the table does not know older rates)."""
        chosen: dict[tuple, Rate] = {}
        for r in self.versions:
            have = chosen.get(r.key)
            if have is None or _better(r, have, day):
                chosen[r.key] = r
        return list(chosen.values())

    def covers(self, postal: str) -> bool:
        return any(_in_range(postal, spec) for spec in self.postal)


@dataclass
class Resolution:
    place: Place
    messages: list[dict[str, Any]] = field(default_factory=list)
    boundary: str = "Zip5"


def _better(r: Rate, have: Rate, day: date) -> bool:
    r_in, have_in = r.effective <= day, have.effective <= day
    if r_in != have_in:
        return r_in
    return r.effective > have.effective if r_in else r.effective < have.effective


def _in_range(postal: str, spec: str) -> bool:
    if "-" in spec:
        lo, hi = spec.split("-", 1)
        return len(postal) >= len(lo) and lo <= postal[:len(lo)] <= hi
    return postal.startswith(spec)


def _postal_key(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).upper()


def _city_key(value: Any) -> str:
    city = re.sub(r"[.,']", "", str(value or "")).upper()
    city = re.sub(r"\s+", " ", city).strip()
    city = re.sub(r"^(ST|STE) ", "SAINT ", city)
    city = re.sub(r"^FT ", "FORT ", city)
    return CITY_ALIASES.get(city, city)


def _rates(rows: list[dict[str, Any]], source: str) -> tuple[Rate, ...]:
    return tuple(Rate(r["jurisType"], r["jurisCode"], r["jurisName"], r["taxName"], Decimal(r["rate"]),
                      date.fromisoformat(r["effective"]), r.get("taxType", "Sales"), r.get("source", source))
                 for r in rows)


def message(summary: str, details: str, severity: str = "Warning", refers_to: str = "Addresses") -> dict[str, Any]:
    return {"summary": summary, "details": details, "refersTo": refers_to, "severity": severity, "source": SOURCE}


MEMO_SIZE = 4096   # resolved addresses remembered per table


class PlaceTable:
    def __init__(self, raw: dict[str, Any]):
        self._memo: dict[tuple[str, ...], Resolution] = {}
        self.sources: dict[str, str] = raw.get("sources", {})
        self.states: dict[str, Place] = {}
        for s in raw.get("states", []):
            self.states[s["region"].upper()] = Place(
                s["name"].title(), s.get("country", "US").upper(), s["region"].upper(), "",
                tuple(s.get("postal", ())), "", "", s["source"], date.fromisoformat(s["effective"]),
                _rates(s["rows"], s["source"]), level="State")
        self.places: list[Place] = [
            Place(p["name"], p["country"].upper(), p.get("region", "").upper(), _city_key(p.get("city", "")),
                  tuple(_postal_key(x) for x in p.get("postal", [""])), p.get("lat", ""), p.get("lon", ""),
                  p["source"], date.fromisoformat(p["effective"]), _rates(p["rows"], p["source"]),
                  level="City" if p.get("city") else ("Province" if p.get("region") else "Country"))
            for p in raw.get("places", [])
        ]

    # ---- resolution -------------------------------------------------------------------------
    def locate(self, address: dict[str, Any]) -> Resolution:
        """Resolve a (lower-cased keys) address, or raise AvaTax's error. Resolutions are remembered
        per (country, region, city, postal code): the table is read-only, and an estimate's
        addresses repeat (a bounded memo; errors are not kept)."""
        key = tuple(str(address.get(k) or "") for k in ("country", "region", "city", "postalcode"))
        hit = self._memo.get(key)
        if hit is None:
            hit = self._locate(address)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = hit
        return Resolution(hit.place, [dict(m) for m in hit.messages], hit.boundary)

    def _locate(self, address: dict[str, Any]) -> Resolution:
        country = str(address.get("country") or "").strip().upper()
        country = COUNTRY_ALIASES.get(country, country)
        region = str(address.get("region") or "").strip().upper()
        postal = _postal_key(address.get("postalcode"))
        city = _city_key(address.get("city"))
        if not country or not (postal or city):
            raise AvaTaxError("InvalidAddress", "Address is incomplete.",
                              "An address needs at least a country and a postal code (or city and region).",
                              refers_to="Addresses")
        if country == "US":
            return self._locate_us(region, city, postal[:5] if postal[:5].isdigit() else postal)
        candidates = [p for p in self.places if p.country == country]
        if region and any(p.region for p in candidates):
            by_region = [p for p in candidates if p.region == region]
            by_postal = [p for p in candidates if postal and p.covers(postal)]
            if by_region and by_postal and by_postal[0] is not by_region[0]:
                raise AvaTaxError("JurisdictionNotFoundError", "Unable to determine the taxing jurisdictions.",
                                  f"The postal code '{address.get('postalcode')}' is not in {country}/{region}.",
                                  refers_to="Addresses")
            candidates = by_region
        elif postal and any(p.region for p in candidates):
            candidates = [p for p in candidates if p.covers(postal)]
        if not candidates:
            raise self._not_found(address, country, region)
        return Resolution(candidates[0], boundary="Zip5" if postal else "State")

    def _locate_us(self, region: str, city: str, zip5: str) -> Resolution:
        zip_state = next((s for s in self.states.values() if zip5 and s.covers(zip5)), None)
        if zip_state and region and zip_state.region != region:
            raise AvaTaxError("JurisdictionNotFoundError", "Unable to determine the taxing jurisdictions.",
                              f"The postal code '{zip5}' is in {zip_state.region}, not in {region}; "
                              "the address cannot be validated.", refers_to="Addresses")
        region = region or (zip_state.region if zip_state else "")
        state = self.states.get(region)
        if state is None:
            raise self._not_found({"postalcode": zip5}, "US", region)
        if zip5 and zip_state is None:
            raise AvaTaxError("JurisdictionNotFoundError", "Unable to determine the taxing jurisdictions.",
                              f"The postal code '{zip5}' is not a postal code of {region}.", refers_to="Addresses")
        in_state = [p for p in self.places if p.country == "US" and p.region == region]
        by_zip = next((p for p in in_state if zip5 and p.covers(zip5)), None)
        by_city = next((p for p in in_state if city and p.city == city), None)
        if by_zip and (by_city is by_zip or not city):
            return Resolution(by_zip)
        if by_zip:   # the city disagrees with the postal code: the postal code decides
            return Resolution(by_zip, [message(
                "The city does not match the postal code; tax is based on the postal code.",
                f"Postal code {zip5} is in {by_zip.city}, {region}, not in {city}. AvaTax falls back to the "
                "postal code when an address cannot be validated.")])
        if by_city and not zip5:
            return Resolution(by_city, boundary="City")
        if by_city:
            return Resolution(by_city, [message(
                "The postal code is outside the city's postal codes known to the harness.",
                f"Postal code {zip5} is not among {by_city.city}'s postal codes in the rate table; "
                f"the rates of {by_city.name} are used.")], boundary="City")
        return Resolution(state, [message(
            "Only the state rate is known for this address.",
            f"Neither the city '{city or '-'}' nor the postal code '{zip5 or '-'}' is in the harness's rate "
            f"table for {region}: the state rate of {state.name} is used, without local taxes.")], boundary="State")

    @staticmethod
    def _not_found(address: dict[str, Any], country: str, region: str) -> AvaTaxError:
        return AvaTaxError("AddressLocationNotFound", "Address not geocoded.",
                           f"The address with postal code '{address.get('postalcode')}' in "
                           f"{country}/{region or '-'} could not be located in any taxing jurisdiction.",
                           refers_to="Addresses")

    # ---- the free TaxRates API shape --------------------------------------------------------
    def rates_for_address(self, address: dict[str, Any], day: date) -> dict[str, Any]:
        """AvaTax's TaxRateModel for an address (``GET /api/v2/taxrates/byaddress`` and
        ``/byPostalCode``): ``totalRate`` and ``rates[{rate, name, type}]``, rates as fractions."""
        resolution = self.locate(address)
        rows = resolution.place.rows_on(day)
        rates = [{"rate": r.rate / 100, "name": r.tax_name, "type": LONG_TYPE[r.juris_type]} for r in rows]
        return {"totalRate": sum((r["rate"] for r in rates), Decimal("0")), "rates": rates}
