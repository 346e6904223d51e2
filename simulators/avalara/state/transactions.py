"""AvaTax transactions: create (estimate or recorded), commit, void, adjust, uncommit, verify,
lock, create-or-adjust (the document life below), and the by-id, change-code, settle, unvoid,
add/delete lines, bulk lock and audit operations in ``lifecycle.py``. No Flask here.

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

from ...core.clock import iso
from ...core.jsonutil import money
from ..errors import AvaTaxError, not_found
from ..values import decimal_of
from .calculate import ESTIMATES, Calculator
from .lifecycle import Lifecycle
from .refunds import Refunds

VOID_CODES = {"DocVoided", "DocDeleted", "PostFailed", "AdjustmentCancelled", "Unspecified"}
ADJUST_REASONS = {"NotAdjusted", "SourcingIssue", "ReconciledWithGeneralLedger", "ExemptCertApplied",
                  "PriceAdjusted", "ProductReturned", "ProductExchanged", "BadDebt", "Other", "Offline"}


class TransactionStore(Calculator, Lifecycle, Refunds):
    def __init__(self, sim, tables, companies):
        self.sim = sim
        self.tables = tables
        self.companies = companies
        self.customers = None   # the customer store (certificates), set by AvaTaxState
        # docs: key -> current document; models: key -> the request model it was calculated from
        # (add/delete lines recalculate it); requests: key -> the create request as sent (audit)
        self.store = sim.store(lambda: {"docs": {}, "history": [], "models": {}, "requests": {},
                                        "before_void": {}, "next_id": 1})
        self.mutex = self.store.lock

    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    def _company_id(self, code: str) -> int:
        return self.companies.company_id(code)

    def _key(self, company: str, code: str, doc_type: str) -> str:
        return f"{company.upper()}|{code}|{doc_type}"

    def _find(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        types = [doc_type] if doc_type else ["SalesInvoice", "ReturnInvoice", "PurchaseInvoice"]
        for t in types:
            doc = self.data["docs"].get(self._key(company, code, t))
            if doc:
                return doc
        raise not_found(company, code)

    # ---- operations -----------------------------------------------------------------------
    def estimate(self, model: dict[str, Any]) -> dict[str, Any]:
        """An estimate (SalesOrder, ...): calculated, never stored, so no lock."""
        return self.calculate(model, doc_id=0, status="Temporary")

    def create(self, model: dict[str, Any], raw: str | None = None) -> dict[str, Any]:
        doc_type = model.get("type") or "SalesOrder"
        if doc_type in ESTIMATES:
            return self.estimate(model)
        with self.mutex:
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
            self._save(doc, model, raw)
            return doc

    def _next_id(self) -> int:
        self.data["next_id"] += 1
        return 1_000_000 + self.data["next_id"]

    def _save(self, doc: dict[str, Any], model: dict[str, Any] | None = None, raw: str | None = None) -> None:
        key = self._key(doc["companyCode"], doc["code"], doc["type"])
        self.data["docs"][key] = doc
        if model is not None:
            self.data["models"][key] = model
        if raw is not None:
            self.data["requests"][key] = {"request": raw, "at": iso(self.sim.now())}

    def get(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        return self._find(company, code, doc_type)

    def list(self, company: str) -> list[dict[str, Any]]:
        prefix = company.upper() + "|"
        return [d for k, d in self.data["docs"].items() if k.startswith(prefix)]

    def _modifiable(self, doc: dict[str, Any]) -> None:
        if doc["locked"]:
            raise AvaTaxError("CannotModifyLockedTransaction", "This transaction is locked.")

    def commit(self, company: str, code: str, doc_type: str | None, commit: bool) -> dict[str, Any]:
        with self.mutex:
            doc = self._find(company, code, doc_type)
            self._modifiable(doc)
            if doc["status"] in ("Cancelled", "Adjusted"):
                raise AvaTaxError("InvalidDocumentStatus", f"Cannot commit a {doc['status']} document.")
            doc["status"] = "Committed" if commit else "Saved"
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def uncommit(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        with self.mutex:
            doc = self._find(company, code, doc_type)
            self._modifiable(doc)
            if doc["status"] != "Committed":
                raise AvaTaxError("DocumentNotCommitted", "The document is not committed.")
            doc["status"] = "Saved"
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def verify(self, company: str, code: str, doc_type: str | None, body: dict[str, Any]) -> dict[str, Any]:
        with self.mutex:
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
        with self.mutex:
            doc = self._find(company, code, doc_type)
            self._modifiable(doc)
            if doc["status"] == "Cancelled":
                raise AvaTaxError("InvalidDocumentStatus", "The document is already Cancelled.")
            self.data["before_void"][self._key(doc["companyCode"], doc["code"], doc["type"])] = doc["status"]
            doc["status"] = "Cancelled"
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def lock(self, company: str, code: str, doc_type: str | None, locked: bool) -> dict[str, Any]:
        with self.mutex:
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
        with self.mutex:
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
            self._save(doc, new)
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
