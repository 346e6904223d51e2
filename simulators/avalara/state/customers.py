"""AvaTax customers (CustomerModel) and exemption certificates (CertificateModel), per company.
The calculation reads them through ``customer(company, code)`` and ``certificates_for(company,
customer_code)`` (valid certificates only) to apply exemptions. No Flask here."""
from __future__ import annotations

from typing import Any

from ...core.clock import iso
from ..errors import AvaTaxError
from ..values import parse_date

CUSTOMER_FIELDS = {"alternateid": "alternateId", "name": "name", "attnname": "attnName", "line1": "line1",
                   "line2": "line2", "city": "city", "region": "region", "postalcode": "postalCode",
                   "country": "country", "phonenumber": "phoneNumber", "emailaddress": "emailAddress",
                   "contactname": "contactName", "isbill": "isBill", "isship": "isShip",
                   "taxpayeridnumber": "taxpayerIdNumber"}


def _required(model: Any, field: str, label: str) -> Any:
    value = model.get(field) if isinstance(model, dict) else None
    if value in (None, "", []):
        raise AvaTaxError("ValueRequiredError", f"Field '{label}' is required.", refers_to=label)
    return value


class CustomerStore:
    def __init__(self, sim, companies):
        self.sim = sim
        self.companies = companies
        self.store = sim.store(lambda: {"customers": {}, "certificates": [], "next_customer": 1, "next_cert": 1})
        self.lock = self.store.lock

    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    # ---- customers -------------------------------------------------------------------------
    def create_customers(self, company_id: str, models: Any) -> list[dict[str, Any]]:
        company = self.companies.get(company_id)
        if not isinstance(models, list) or not models:
            raise AvaTaxError("ValueRequiredError", "A list of customers is required.", refers_to="model")
        with self.lock:
            codes = [str(_required(m, "customercode", "customerCode")) for m in models]
            for code in codes:
                if (company["id"], code) in self._keys() or codes.count(code) > 1:
                    raise AvaTaxError("ModelStateInvalid", f"A customer with code '{code}' already exists.",
                                      refers_to="customerCode")
            out = []
            now = iso(self.sim.now())
            for model, code in zip(models, codes):
                customer = {"id": self.data["next_customer"], "companyId": company["id"], "customerCode": code,
                            **{camel: model.get(low) for low, camel in CUSTOMER_FIELDS.items()},
                            "createdDate": now, "modifiedDate": now}
                self.data["next_customer"] += 1
                self.data["customers"][f"{company['id']}|{code}"] = customer
                out.append(customer)
            return out

    def _keys(self) -> set[tuple[int, str]]:
        return {(c["companyId"], c["customerCode"]) for c in self.data["customers"].values()}

    def get_customer(self, company_id: str, code: str) -> dict[str, Any]:
        company = self.companies.get(company_id)
        found = self.data["customers"].get(f"{company['id']}|{code}")
        if found is None:
            raise AvaTaxError("EntityNotFoundError", f"Customer with code '{code}' not found.",
                              f"The Customer with code '{code}' was not found.", refers_to="customerCode")
        return found

    def customers(self, company_id: str) -> list[dict[str, Any]]:
        cid = self.companies.get(company_id)["id"]
        return [c for c in self.data["customers"].values() if c["companyId"] == cid]

    # ---- certificates ----------------------------------------------------------------------
    def create_certificates(self, company_id: str, models: Any) -> list[dict[str, Any]]:
        company = self.companies.get(company_id)
        if not isinstance(models, list) or not models:
            raise AvaTaxError("ValueRequiredError", "A list of certificates is required.", refers_to="model")
        with self.lock:
            prepared = []
            for m in models:
                signed = parse_date(_required(m, "signeddate", "signedDate"), None)
                expires = parse_date(_required(m, "expirationdate", "expirationDate"), None)
                zone = _required(m, "exposurezone", "exposureZone")
                reason = _required(m, "exemptionreason", "exemptionReason")
                links = _required(m, "customers", "customers")
                customers = [self.get_customer(company_id, str(_required(c, "customercode", "customerCode")))
                             for c in links]
                prepared.append((m, signed, expires, zone, reason, customers))
            out = []
            now = iso(self.sim.now())
            for m, signed, expires, zone, reason, customers in prepared:
                cert = {"id": self.data["next_cert"], "companyId": company["id"], "signedDate": signed.isoformat(),
                        "expirationDate": expires.isoformat(), "filename": m.get("filename"),
                        "documentExists": False, "valid": m.get("valid", True) is not False, "verified": False,
                        "exemptPercentage": m.get("exemptpercentage", 100),
                        "isSingleCertificate": bool(m.get("issinglecertificate", True)),
                        "exemptionNumber": m.get("exemptionnumber"),
                        "exemptionReason": {"name": reason.get("name") if isinstance(reason, dict) else str(reason)},
                        "exposureZone": ({"name": zone.get("name"), "region": zone.get("region"),
                                          "country": zone.get("country")} if isinstance(zone, dict)
                                         else {"name": str(zone)}),
                        "status": "COMPLETE", "createdDate": now, "modifiedDate": now,
                        "customers": [{"id": c["id"], "customerCode": c["customerCode"]} for c in customers],
                        "poNumbers": m.get("ponumbers") or []}
                self.data["next_cert"] += 1
                self.data["certificates"].append(cert)
                out.append(cert)
            return out

    def certificates(self, company_id: str) -> list[dict[str, Any]]:
        cid = self.companies.get(company_id)["id"]
        return [c for c in self.data["certificates"] if c["companyId"] == cid]

    def certificates_of_customer(self, company_id: str, code: str) -> list[dict[str, Any]]:
        self.get_customer(company_id, code)
        return [c for c in self.certificates(company_id) if any(x["customerCode"] == code for x in c["customers"])]

    # ---- for the calculation (company code, as a transaction names it) -----------------------
    def customer(self, company_code: str, code: str) -> dict[str, Any] | None:
        company = self.companies.data["companies"].get(company_code.upper())
        return self.data["customers"].get(f"{company['id']}|{code}") if company else None

    def certificates_for(self, company_code: str, customer_code: str, on: str | None = None) -> list[dict[str, Any]]:
        """Valid certificates of a customer (on the date ``on``, ISO, when given)."""
        company = self.companies.data["companies"].get(company_code.upper())
        if company is None:
            return []
        return [c for c in self.data["certificates"]
                if c["companyId"] == company["id"] and c["valid"]
                and any(x["customerCode"] == customer_code for x in c["customers"])
                and (on is None or c["signedDate"] <= on <= c["expirationDate"])]
