"""AvaTax companies (CompanyModel) and their nexus (NexusModel). The company ``DEFAULT`` exists
from the start; a transaction naming an unknown company code creates it (the harness is lenient
here: real AvaTax refuses an unknown company). Every company has nexus in every jurisdiction of
the tax tables, because the engine taxes every jurisdiction it knows. No Flask here."""
from __future__ import annotations

from typing import Any

from ...core.clock import iso
from ..engine import LONG_TYPE
from ..errors import AvaTaxError

COMPANY_FIELDS = ("name", "taxpayeridnumber", "defaultcountry", "basecurrencycode", "isactive", "istest",
                  "parentcompanyid", "isdefault")


class CompanyStore:
    def __init__(self, sim, tables):
        self.sim = sim
        self.tables = tables
        # nexus: company code -> declared NexusModels (absent: the company collects everywhere)
        self.store = sim.store(lambda: {"companies": {}, "by_id": {}, "nexus": {}})
        self.lock = self.store.lock
        sim.on_reset(lambda: self._ensure("DEFAULT", {"name": "Default company", "isdefault": True}))

    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    def _ensure(self, code: str, model: dict[str, Any]) -> dict[str, Any]:
        key = code.upper()
        company = self.data["companies"].get(key)
        if company is None:
            cid = len(self.data["companies"]) + 1
            now = iso(self.sim.now())
            company = {"id": cid, "accountId": 0, "parentCompanyId": model.get("parentcompanyid"), "companyCode": key,
                       "name": model.get("name") or key, "isDefault": bool(model.get("isdefault")),
                       "isActive": model.get("isactive", True) is not False, "hasProfile": True,
                       "isReportingEntity": True, "defaultCountry": model.get("defaultcountry") or "US",
                       "baseCurrencyCode": model.get("basecurrencycode") or "USD",
                       "taxpayerIdNumber": model.get("taxpayeridnumber"), "isTest": bool(model.get("istest", True)),
                       "roundingLevelId": "Line", "taxDependencyLevelId": "Document", "inProgress": False,
                       "createdDate": now, "modifiedDate": now}
            self.data["companies"][key] = company
            self.data["by_id"][cid] = key
        return company

    def company_id(self, code: str) -> int:
        with self.lock:
            return self._ensure(code, {})["id"]

    def create(self, models: Any) -> list[dict[str, Any]]:
        if not isinstance(models, list) or not models:
            raise AvaTaxError("ValueRequiredError", "A list of companies is required.", refers_to="model")
        with self.lock:
            for m in models:
                code = m.get("companycode") if isinstance(m, dict) else None
                if not code or not isinstance(code, str):
                    raise AvaTaxError("ValueRequiredError", "Field 'companyCode' is required.", refers_to="companyCode")
                if code.upper() in self.data["companies"]:
                    raise AvaTaxError("ModelStateInvalid", f"A company with code '{code}' already exists.",
                                      refers_to="companyCode")
            made = [self._ensure(m["companycode"], m) for m in models]
            for company in made:   # a company set up through the API collects nowhere until it declares nexus
                self.data["nexus"][company["companyCode"]] = []
            return made

    # ---- nexus ----------------------------------------------------------------------------------
    def declare_nexus(self, cid: str, models: Any) -> list[dict[str, Any]]:
        """``POST /companies/{id}/nexus``: NexusModels the company now collects in (a country, or a
        region of it for US states and Canadian provinces)."""
        company = self.get(cid)
        if not isinstance(models, list) or not models:
            raise AvaTaxError("ValueRequiredError", "A list of nexus is required.", refers_to="model")
        out = []
        with self.lock:
            declared = self.data["nexus"].setdefault(company["companyCode"], [])
            for m in models:
                country = str((m or {}).get("country") or "").upper()
                region = str(m.get("region") or "").upper()
                if not country:
                    raise AvaTaxError("ValueRequiredError", "Field 'country' is required.", refers_to="country")
                if country in ("US", "CA") and not region:
                    raise AvaTaxError("ValueRequiredError", "Field 'region' is required for a US or Canadian "
                                      "nexus.", refers_to="region")
                row = {"id": sum(len(v) for v in self.data["nexus"].values()) + 1, "companyId": company["id"],
                       "country": country, "region": region, "jurisTypeId": m.get("juristypeid") or
                       ("STA" if region else "CNT"), "jurisCode": m.get("juriscode") or region or country,
                       "jurisName": m.get("jurisname") or region or country,
                       "effectiveDate": m.get("effectivedate") or "2000-01-01", "endDate": m.get("enddate"),
                       "nexusTypeId": m.get("nexustypeid") or "SalesOrSellersUseTax", "sourcing": "Destination",
                       "hasLocalNexus": True, "streamlinedSalesTax": False, "isSellerImporterOfRecord": False}
                declared.append(row)
                out.append(row)
        return out

    def nexus_regions(self, code: str) -> set[tuple[str, str]] | None:
        """Where a company collects: (country, region) pairs, (country, "") for a whole country;
        None for everywhere."""
        declared = self.data["nexus"].get(code.upper())
        if declared is None:
            return None
        return {(n["country"], n["region"]) for n in declared}

    def get(self, cid: str) -> dict[str, Any]:
        key = self.data["by_id"].get(int(cid)) if str(cid).isdecimal() else None
        if key is None:
            raise AvaTaxError("EntityNotFoundError", f"Company with ID '{cid}' not found.",
                              f"The Company with ID '{cid}' was not found.", refers_to="id")
        return self.data["companies"][key]

    def all(self) -> list[dict[str, Any]]:
        return list(self.data["companies"].values())

    def nexus(self, company_id: int | None = None) -> list[dict[str, Any]]:
        """A company's declared NexusModels; one per jurisdiction row of the tax tables for a company
        that collects everywhere (and for the definitions, when no company is named)."""
        if company_id is not None:
            code = self.data["by_id"].get(company_id)
            if code in self.data["nexus"]:
                return list(self.data["nexus"][code])
        out, seen = [], set()
        places = self.tables.places
        for j in [*places.states.values(), *places.places]:
            for row in j.versions:
                key = (j.country, j.region, row.juris_type, row.juris_code)
                if key in seen:
                    continue
                seen.add(key)
                out.append({"id": len(out) + 1, "companyId": company_id or 0, "country": j.country,
                            "region": j.region, "jurisTypeId": row.juris_type, "jurisCode": row.juris_code,
                            "jurisName": row.juris_name, "jurisdictionTypeId": LONG_TYPE[row.juris_type],
                            "effectiveDate": row.effective.isoformat(), "endDate": None, "shortName": row.juris_name,
                            "nexusTypeId": "SalesOrSellersUseTax", "sourcing": "Destination", "hasLocalNexus": True,
                            "streamlinedSalesTax": False, "isSellerImporterOfRecord": False})
        return out
