"""AvaTax transactions: create (estimate or recorded), commit, void, adjust, refund, uncommit,
verify, lock, create-or-adjust. Request models arrive with lower-cased keys (AvaTax treats JSON
keys case-insensitively); responses use AvaTax's camelCase. No Flask here.

Document life (developer.avalara.com, and the SDK's own tests): SalesOrder/ReturnOrder are
estimates, status Temporary, never stored; SalesInvoice/ReturnInvoice are Saved, or Committed
with ``commit: true``; verify -> Posted; void -> Cancelled; adjust keeps the old version as
Adjusted and bumps ``version``. Re-creating a Saved code replaces it; re-creating a Committed or
Cancelled code is GetTaxError "DocStatus is invalid for this operation".
"""
from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ..core.clock import iso
from ..core.jsonutil import money
from ..core.sim import Sim
from .engine import LONG_TYPE, TaxTables, distribute_discount, exemption_of, summarise
from .errors import AvaTaxError, not_found
from .values import decimal_of, lower_keys, parse_date

ESTIMATES = {"SalesOrder", "ReturnOrder", "PurchaseOrder", "InventoryTransferOrder"}
DOC_TYPES = ESTIMATES | {"SalesInvoice", "ReturnInvoice", "PurchaseInvoice", "InventoryTransferInvoice"}
VOID_CODES = {"DocVoided", "DocDeleted", "PostFailed", "AdjustmentCancelled", "Unspecified"}
ADJUST_REASONS = {"NotAdjusted", "SourcingIssue", "ReconciledWithGeneralLedger", "ExemptCertApplied",
                  "PriceAdjusted", "ProductReturned", "ProductExchanged", "BadDebt", "Other", "Offline"}


class AvaTaxState:
    def __init__(self, sim: Sim, tables: TaxTables):
        self.sim = sim
        self.tables = tables
        self.store = sim.store(lambda: {"docs": {}, "history": [], "companies": {"DEFAULT": 1},
                                        "next_id": 1, "allowed_accounts": None, "account_users": {},
                                        "account_tokens": {}})

    # ---- helpers ----------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    def _company_id(self, code: str) -> int:
        companies = self.data["companies"]
        return companies.setdefault(code.upper(), len(companies) + 1)

    def _key(self, company: str, code: str, doc_type: str) -> str:
        return f"{company.upper()}|{code}|{doc_type}"

    def _find(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        types = [doc_type] if doc_type else ["SalesInvoice", "ReturnInvoice", "PurchaseInvoice"]
        for t in types:
            doc = self.data["docs"].get(self._key(company, code, t))
            if doc:
                return doc
        raise not_found(company, code)

    # ---- calculation --------------------------------------------------------------------
    def calculate(self, model: dict[str, Any], *, doc_id: int, status: str, version: int = 1,
                  adjustment: tuple[str, str | None] = ("NotAdjusted", None)) -> dict[str, Any]:
        now = self.sim.now()
        doc_type = model.get("type") or "SalesOrder"
        if doc_type not in DOC_TYPES:
            raise AvaTaxError("InvalidEnumValue", f"The field 'type' has an incorrect value '{doc_type}'.",
                              f"Acceptable values are: {', '.join(sorted(DOC_TYPES))}.", refers_to="type")
        if not model.get("customercode"):
            raise AvaTaxError("ValueRequiredError", "Field 'customerCode' is required.", refers_to="customerCode")
        lines = model.get("lines") or []
        if not lines:
            raise AvaTaxError("MissingLine", "A transaction needs at least one line.", refers_to="lines")
        company = (model.get("companycode") or "DEFAULT").upper()
        doc_date = parse_date(model.get("date"), now.date())
        header_addr = model.get("addresses") or {}
        code = model.get("code") or self.sim.ids.uuid()
        out_lines, addresses, messages = [], [], []
        seen_numbers = set()
        discounts = self._discounts(model, lines)
        for idx, line in enumerate(lines, start=1):
            number = str(line.get("number") or idx)
            if number in seen_numbers:
                raise AvaTaxError("ModelStateInvalid", f"Line number '{number}' is used more than once.",
                                  refers_to="lines")
            seen_numbers.add(number)
            addr_set = line.get("addresses") or header_addr
            addr = addr_set.get("shipto") or addr_set.get("singlelocation") or addr_set.get("shipfrom")
            if not addr:
                raise AvaTaxError("MissingAddress", f"Line {number} has no address.",
                                  "A line needs a ShipTo or SingleLocation address, on the line or the document.",
                                  refers_to="Addresses")
            where = self.tables.locate(addr)
            place = where.place
            messages.extend(m for m in where.messages if m not in messages)
            tax_code, code_def, known = self.tables.taxcode(line.get("taxcode"))
            if not known:
                messages.append({"summary": f"Tax code '{tax_code}' is not recognised; taxed as tangible goods.",
                                 "details": "The harness knows the codes listed by /api/v2/definitions/taxcodes.",
                                 "refersTo": f"lines[{idx - 1}].taxCode", "severity": "Warning", "source": "o2c-harness"})
            amount = money(decimal_of(line.get("amount"), "amount"))
            quantity = decimal_of(line.get("quantity", 1), "quantity")
            exemption, unknown_codes = exemption_of(model, line)
            for use_code in unknown_codes:
                messages.append({"summary": f"Entity/use code '{use_code}' is not recognised; no exemption applied.",
                                 "details": "The harness knows AvaTax's system entity/use codes A-R.",
                                 "refersTo": f"lines[{idx - 1}].entityUseCode", "severity": "Warning",
                                 "source": "o2c-harness"})
            # nexus=None: the company collects everywhere (companies' nexus is not stored yet)
            calc = self.tables.line_tax(amount, place, code_def, day=doc_date, exempt=exemption, nexus=None,
                                        tax_included=bool(line.get("taxincluded")), discount=discounts[idx - 1])
            exempt = exemption is not None and calc["exemptAmount"] != 0
            addr_id = len(addresses) + 1
            addresses.append({"id": addr_id, "transactionId": doc_id, "boundaryLevel": where.boundary,
                              "line1": addr.get("line1", ""), "line2": addr.get("line2", ""),
                              "city": addr.get("city", ""), "region": addr.get("region", ""),
                              "postalCode": addr.get("postalcode", ""), "country": place.country,
                              "taxRegionId": 0, "latitude": place.lat, "longitude": place.lon})
            out_lines.append({
                "id": doc_id * 1000 + idx if doc_id else 0, "transactionId": doc_id, "lineNumber": number,
                "itemCode": line.get("itemcode", ""), "description": line.get("description", ""),
                "lineAmount": calc["lineAmount"], "quantity": quantity, "tax": calc["tax"],
                "taxCalculated": calc["tax"], "taxableAmount": calc["taxableAmount"],
                "exemptAmount": calc["exemptAmount"], "exemptNo": exemption.exempt_no if exempt else None,
                "exemptCertId": exemption.cert_id if exempt else 0,
                "entityUseCode": exemption.entity_use_code if exempt else None,
                "discounted": str(line.get("discounted")).lower() == "true", "discountAmount": calc["discountAmount"],
                "taxCode": tax_code, "taxCodeId": 0, "isItemTaxable": calc["isItemTaxable"],
                "taxIncluded": bool(line.get("taxincluded")), "taxDate": doc_date.isoformat(),
                "reportingDate": doc_date.isoformat(), "ref1": line.get("ref1"), "ref2": line.get("ref2"),
                "revAccount": line.get("revenueaccount"), "sourcing": "Destination",
                "destinationAddressId": addr_id, "originAddressId": addr_id, "details": calc["details"],
                "nonPassthroughDetails": [], "lineLocationTypes": [],
            })
        total_amount = sum((l["lineAmount"] for l in out_lines), Decimal("0.00"))
        total_tax = sum((l["tax"] for l in out_lines), Decimal("0.00"))
        country = out_lines and addresses[0]["country"]
        doc = {
            "id": doc_id, "code": code, "companyId": self._company_id(company), "companyCode": company,
            "date": doc_date.isoformat(), "taxDate": doc_date.isoformat(), "paymentDate": None,
            "status": status, "type": doc_type, "batchCode": "", "currencyCode": model.get("currencycode", "USD"),
            "exchangeRateCurrencyCode": model.get("currencycode", "USD"), "exchangeRate": Decimal("1"),
            "customerUsageType": model.get("customerusagetype") or model.get("entityusecode"),
            "entityUseCode": model.get("entityusecode"), "customerVendorCode": model.get("customercode"),
            "customerCode": model.get("customercode"), "exemptNo": model.get("exemptionno"),
            "reconciled": False, "purchaseOrderNo": model.get("purchaseorderno"),
            "referenceCode": model.get("referencecode"), "salespersonCode": model.get("salespersoncode"),
            "totalAmount": total_amount, "totalExempt": sum((l["exemptAmount"] for l in out_lines), Decimal("0.00")),
            "totalDiscount": sum((l["discountAmount"] for l in out_lines), Decimal("0.00")), "totalTax": total_tax,
            "totalTaxable": sum((l["taxableAmount"] for l in out_lines), Decimal("0.00")),
            "totalTaxCalculated": total_tax, "adjustmentReason": adjustment[0],
            "adjustmentDescription": adjustment[1], "locked": False, "region": addresses[0]["region"],
            "country": country, "version": version, "softwareVersion": "26.11.0-o2c",
            "originAddressId": 1, "destinationAddressId": 1, "description": model.get("description"),
            "email": model.get("email"), "businessIdentificationNo": model.get("businessidentificationno"),
            "modifiedDate": iso(now), "modifiedUserId": 1, "lines": out_lines, "addresses": addresses,
            "summary": summarise(out_lines),
        }
        if messages:
            doc["messages"] = messages
        return doc

    @staticmethod
    def _discounts(model: dict[str, Any], lines: list[dict[str, Any]]) -> list[Decimal]:
        """Each line's share of the document ``discount`` (lines marked ``discounted``)."""
        discount = money(decimal_of(model.get("discount") or 0, "discount"))
        marked = [i for i, l in enumerate(lines) if str(l.get("discounted")).lower() == "true"]
        shares = distribute_discount(discount, [money(decimal_of(lines[i].get("amount"), "amount")) for i in marked])
        out = [Decimal("0.00")] * len(lines)
        for i, share in zip(marked, shares):
            out[i] = share
        return out

    # ---- operations -----------------------------------------------------------------------
    def create(self, model: dict[str, Any]) -> dict[str, Any]:
        with self.store.lock:
            doc_type = model.get("type") or "SalesOrder"
            if doc_type in ESTIMATES:
                return self.calculate(model, doc_id=0, status="Temporary")
            company = (model.get("companycode") or "DEFAULT").upper()
            code = model.get("code")
            existing = self.data["docs"].get(self._key(company, code, doc_type)) if code else None
            if existing:
                if existing["locked"]:
                    raise AvaTaxError("CannotModifyLockedTransaction", "This transaction is locked.")
                if existing["status"] not in ("Saved", "Posted", "Uncommitted"):
                    raise AvaTaxError("GetTaxError", "DocStatus is invalid for this operation.",
                                      f"Expected Saved|Posted; document '{code}' is {existing['status']}.",
                                      refers_to="code")
            doc = self.calculate(model, doc_id=self._next_id(), status="Committed" if model.get("commit") else "Saved")
            self._save(doc)
            return doc

    def _next_id(self) -> int:
        self.data["next_id"] += 1
        return 1_000_000 + self.data["next_id"]

    def _save(self, doc: dict[str, Any]) -> None:
        self.data["docs"][self._key(doc["companyCode"], doc["code"], doc["type"])] = doc

    def get(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        return self._find(company, code, doc_type)

    def list(self, company: str) -> list[dict[str, Any]]:
        prefix = company.upper() + "|"
        return [d for k, d in self.data["docs"].items() if k.startswith(prefix)]

    def _modifiable(self, doc: dict[str, Any]) -> None:
        if doc["locked"]:
            raise AvaTaxError("CannotModifyLockedTransaction", "This transaction is locked.")

    def commit(self, company: str, code: str, doc_type: str | None, commit: bool) -> dict[str, Any]:
        with self.store.lock:
            doc = self._find(company, code, doc_type)
            self._modifiable(doc)
            if doc["status"] in ("Cancelled", "Adjusted"):
                raise AvaTaxError("InvalidDocumentStatus", f"Cannot commit a {doc['status']} document.")
            doc["status"] = "Committed" if commit else "Saved"
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def uncommit(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        with self.store.lock:
            doc = self._find(company, code, doc_type)
            self._modifiable(doc)
            if doc["status"] != "Committed":
                raise AvaTaxError("DocumentNotCommitted", "The document is not committed.")
            doc["status"] = "Saved"
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def verify(self, company: str, code: str, doc_type: str | None, body: dict[str, Any]) -> dict[str, Any]:
        with self.store.lock:
            doc = self._find(company, code, doc_type)
            checks = {"verifytransactiondate": ("date", str), "verifytotalamount": ("totalAmount", Decimal),
                      "verifytotaltax": ("totalTax", Decimal)}
            for key, (field, kind) in checks.items():
                if key in body and body[key] is not None:
                    want = str(body[key])[:10] if kind is str else money(decimal_of(body[key], key))
                    if want != doc[field]:
                        raise AvaTaxError("ModelStateInvalid", f"Verification failed: {field} is {doc[field]}, not {want}.",
                                          refers_to=key)
            if doc["status"] == "Saved":
                doc["status"] = "Posted"
            return doc

    def void(self, company: str, code: str, doc_type: str | None, reason: str | None) -> dict[str, Any]:
        if reason not in VOID_CODES:
            raise AvaTaxError("InvalidEnumValue", f"The field 'code' has an incorrect value '{reason}'.",
                              f"Acceptable values are: {', '.join(sorted(VOID_CODES))}.", refers_to="code")
        with self.store.lock:
            doc = self._find(company, code, doc_type)
            self._modifiable(doc)
            if doc["status"] == "Cancelled":
                raise AvaTaxError("InvalidDocumentStatus", "The document is already Cancelled.")
            doc["status"] = "Cancelled"
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def lock(self, company: str, code: str, doc_type: str | None, locked: bool) -> dict[str, Any]:
        with self.store.lock:
            doc = self._find(company, code, doc_type)
            doc["locked"] = bool(locked)
            return doc

    def adjust(self, company: str, code: str, doc_type: str | None, body: dict[str, Any]) -> dict[str, Any]:
        reason = body.get("adjustmentreason")
        if reason not in ADJUST_REASONS:
            raise AvaTaxError("InvalidEnumValue", f"The field 'adjustmentReason' has an incorrect value '{reason}'.",
                              refers_to="adjustmentReason")
        if reason == "Other" and not body.get("adjustmentdescription"):
            raise AvaTaxError("ValueRequiredError", "Field 'adjustmentDescription' is required when the reason is Other.",
                              refers_to="adjustmentDescription")
        new = body.get("newtransaction")
        if not isinstance(new, dict):
            raise AvaTaxError("ValueRequiredError", "Field 'newTransaction' is required.", refers_to="newTransaction")
        with self.store.lock:
            old = self._find(company, code, doc_type)
            self._modifiable(old)
            if old["status"] in ("Cancelled", "Adjusted"):
                raise AvaTaxError("InvalidDocumentStatus", f"Cannot adjust a {old['status']} document.")
            new = dict(new, code=old["code"], companycode=old["companyCode"], type=old["type"])
            doc = self.calculate(new, doc_id=self._next_id(),
                                 status="Committed" if new.get("commit") else "Saved", version=old["version"] + 1,
                                 adjustment=(reason, body.get("adjustmentdescription")))
            previous = copy.deepcopy(old)
            previous["status"] = "Adjusted"
            self.data["history"].append(previous)
            self._save(doc)
            return doc

    def refund(self, company: str, code: str, doc_type: str | None, body: dict[str, Any]) -> dict[str, Any]:
        refund_code = body.get("refundtransactioncode")
        refund_type = body.get("refundtype") or "Full"
        if refund_type not in ("Full", "Partial", "TaxOnly", "Percentage"):
            raise AvaTaxError("InvalidEnumValue", f"The field 'refundType' has an incorrect value '{refund_type}'.",
                              refers_to="refundType")
        with self.store.lock:
            original = self._find(company, code, doc_type or "SalesInvoice")
            if original["status"] not in ("Committed", "Posted", "Saved"):
                raise AvaTaxError("InvalidDocumentStatus", f"Cannot refund a {original['status']} document.")
            refund_code = refund_code or f"{original['code']}-refund-{self.data['next_id']}"
            if self._key(company, refund_code, "ReturnInvoice") in self.data["docs"]:
                raise AvaTaxError("TransactionAlreadyExists", f"A transaction with code '{refund_code}' already exists.",
                                  refers_to="refundTransactionCode")
            wanted = {str(n) for n in (body.get("refundlines") or [])}
            if refund_type == "Partial" and not wanted:
                raise AvaTaxError("ValueRequiredError", "Field 'refundLines' is required for a Partial refund.",
                                  refers_to="refundLines")
            pct = decimal_of(body.get("refundpercentage") or 0, "refundPercentage") / 100
            if refund_type == "Percentage" and not 0 < pct <= 1:
                raise AvaTaxError("ModelStateInvalid", "refundPercentage must be between 0 and 100.",
                                  refers_to="refundPercentage")
            lines, addresses = [], {a["id"]: a for a in original["addresses"]}
            for line in original["lines"]:
                if refund_type == "Partial" and str(line["lineNumber"]) not in wanted:
                    continue
                amount = line["lineAmount"]
                if refund_type == "Percentage":
                    amount = money(amount * pct)
                if refund_type == "TaxOnly":
                    continue
                addr = addresses.get(line["destinationAddressId"], original["addresses"][0])
                lines.append({"number": line["lineNumber"], "amount": -amount, "quantity": line["quantity"],
                              "taxcode": line["taxCode"], "itemcode": line["itemCode"],
                              "description": line["description"], "entityusecode": line.get("entityUseCode"),
                              "addresses": {"shipto": lower_keys(addr)}})
            if refund_type == "TaxOnly":
                raise AvaTaxError("ModelStateInvalid", "TaxOnly refunds are not supported by the harness.",
                                  refers_to="refundType")
            model = {"type": "ReturnInvoice", "code": refund_code, "companycode": company,
                     "date": body.get("refunddate") or self.sim.now().date().isoformat(),
                     "customercode": original["customerCode"], "exemptionno": original.get("exemptNo"),
                     "referencecode": body.get("referencecode") or original["code"], "lines": lines}
            doc = self.calculate(model, doc_id=self._next_id(), status="Committed")
            self._save(doc)
            return doc

    def create_or_adjust(self, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("createtransactionmodel")
        if not isinstance(model, dict):
            raise AvaTaxError("ValueRequiredError", "Field 'createTransactionModel' is required.",
                              refers_to="createTransactionModel")
        company = model.get("companycode") or "DEFAULT"
        if not isinstance(company, str):   # validation off (the schema refuses it first when strict)
            raise AvaTaxError("ModelStateInvalid", f"Error converting value {company!r} to type 'String'.",
                              refers_to="createTransactionModel.companyCode")
        company = company.upper()
        doc_type = model.get("type") or "SalesOrder"
        existing = self.data["docs"].get(self._key(company, model.get("code") or "", doc_type))
        if existing and existing["status"] in ("Committed", "Posted"):
            return self.adjust(company, existing["code"], doc_type, {
                "adjustmentreason": body.get("adjustmentreason") or "Other",
                "adjustmentdescription": body.get("adjustmentdescription") or "createOrAdjust",
                "newtransaction": model})
        return self.create(model)

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


def shape(doc: dict[str, Any], include: str | None) -> dict[str, Any]:
    """Apply ``$include``: the default is the full document (Summary implies Details implies
    Lines, plus Addresses); SummaryOnly drops lines, details and addresses; LinesOnly drops
    details."""
    opts = {p.strip().lower() for p in (include or "").split(",") if p.strip()}
    out = dict(doc)
    out.pop("companyCode", None)
    if "summaryonly" in opts:
        out.pop("lines", None)
        out.pop("addresses", None)
        return out
    if "linesonly" in opts:
        out["lines"] = [{k: v for k, v in l.items() if k != "details"} for l in doc["lines"]]
        out.pop("summary", None)
    return out

