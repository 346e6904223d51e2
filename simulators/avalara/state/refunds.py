"""AvaTax refunds (``RefundTransaction``): Full, Partial (``refundLines``), Percentage and TaxOnly,
each a committed ReturnInvoice referencing the original. TaxOnly gives back the tax alone: every
line keeps its tax (negated) and no amount (developer.avalara.com, RefundTransactionModel:
"TaxOnly - refund only the tax"), so it is built from the original's figures, not recalculated."""
from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ...core.clock import iso
from ...core.jsonutil import money
from ..engine import summarise
from ..errors import AvaTaxError
from ..values import decimal_of, lower_keys

ZERO = Decimal("0.00")


def _negate_detail(d: dict[str, Any]) -> dict[str, Any]:
    out = dict(d)
    for k in ("tax", "taxCalculated", "reportingTax"):
        out[k] = -d[k]
    for k in ("taxableAmount", "nonTaxableAmount", "exemptAmount", "reportingTaxableUnits",
              "reportingNonTaxableUnits", "reportingExemptUnits"):
        if k in out:
            out[k] = ZERO
    return out


class Refunds:
    """Mixed into the transaction store."""

    def refund(self, company: str, code: str, doc_type: str | None, body: dict[str, Any]) -> dict[str, Any]:
        refund_code = body.get("refundtransactioncode")
        refund_type = body.get("refundtype") or "Full"
        if refund_type not in ("Full", "Partial", "TaxOnly", "Percentage"):
            raise AvaTaxError("InvalidEnumValue", f"The field 'refundType' has an incorrect value '{refund_type}'.",
                              refers_to="refundType")
        with self.mutex:
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
                addr = addresses.get(line["destinationAddressId"], original["addresses"][0])
                lines.append({"number": line["lineNumber"], "amount": -amount, "quantity": line["quantity"],
                              "taxcode": line["taxCode"], "itemcode": line["itemCode"],
                              "description": line["description"], "entityusecode": line.get("entityUseCode"),
                              "addresses": {"shipto": lower_keys(addr)}})
            if refund_type == "TaxOnly":
                doc = self._tax_only(original, refund_code, body)
                self._save(doc)
                return doc
            model = {"type": "ReturnInvoice", "code": refund_code, "companycode": company,
                     "date": body.get("refunddate") or self.sim.now().date().isoformat(),
                     "customercode": original["customerCode"], "exemptionno": original.get("exemptNo"),
                     "referencecode": body.get("referencecode") or original["code"], "lines": lines}
            doc = self.calculate(model, doc_id=self._next_id(), status="Committed")
            self._save(doc, model)
            return doc

    def _tax_only(self, original: dict[str, Any], code: str, body: dict[str, Any]) -> dict[str, Any]:
        doc_id = self._next_id()
        when = str(body.get("refunddate") or self.sim.now().date().isoformat())[:10]
        doc = copy.deepcopy(original)
        for idx, line in enumerate(doc["lines"], start=1):
            line.update(id=doc_id * 1000 + idx, transactionId=doc_id, lineAmount=ZERO, tax=-line["tax"],
                        taxCalculated=-line["taxCalculated"], taxableAmount=ZERO, exemptAmount=ZERO,
                        taxDate=when, reportingDate=when, details=[_negate_detail(d) for d in line["details"]])
        for addr in doc["addresses"]:
            addr["transactionId"] = doc_id
        doc.update(id=doc_id, code=code, type="ReturnInvoice", status="Committed", date=when, taxDate=when,
                   totalAmount=ZERO, totalExempt=ZERO, totalTaxable=ZERO, totalTax=-original["totalTax"],
                   totalTaxCalculated=-original["totalTaxCalculated"], version=1, locked=False,
                   adjustmentReason="NotAdjusted", adjustmentDescription=None,
                   referenceCode=body.get("referencecode") or original["code"], modifiedDate=iso(self.sim.now()),
                   summary=summarise(doc["lines"]))
        return doc
