"""The AvaTax calculation of one transaction model: lines, addresses, totals and the summary
(the tax itself is ``engine.TaxTables``): exemptions from the request or from a certificate on file
for the customer, nexus by company, tax-included amounts and document discounts.
Request models arrive with lower-cased keys; responses use AvaTax's camelCase. No Flask here."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...core.clock import iso
from ...core.jsonutil import money
from ..engine import CENT, ZERO, ExemptionInfo, distribute_discount, exemption_of, summarise
from ..errors import AvaTaxError
from ..values import decimal_of, parse_date

ESTIMATES = {"SalesOrder", "ReturnOrder", "PurchaseOrder", "InventoryTransferOrder"}
DOC_TYPES = ESTIMATES | {"SalesInvoice", "ReturnInvoice", "PurchaseInvoice", "InventoryTransferInvoice"}


class Calculator:
    """Mixed into the transaction store: ``self.sim``, ``self.tables`` and ``self._company_id``."""

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
        day = doc_date.isoformat()
        header_addr = model.get("addresses") or {}
        code = model.get("code") or self.sim.ids.uuid()
        out_lines, addresses, messages = [], [], []
        seen_numbers = set()
        discounts = self._discounts(model, lines)
        nexus = self._nexus(company)
        on_file: list[ExemptionInfo | None] = []   # the customer's certificate, looked up once
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
            amount = decimal_of(line.get("amount"), "amount").quantize(CENT, rounding=ROUND_HALF_UP)
            quantity = decimal_of(line.get("quantity", 1), "quantity")
            exemption, unknown_codes = exemption_of(model, line)
            for use_code in unknown_codes:
                messages.append({"summary": f"Entity/use code '{use_code}' is not recognised; no exemption applied.",
                                 "details": "The harness knows AvaTax's system entity/use codes A-R.",
                                 "refersTo": f"lines[{idx - 1}].entityUseCode", "severity": "Warning",
                                 "source": "o2c-harness"})
            if exemption is None:   # a certificate on file for the customer (CertCapture-style exemption)
                if not on_file:
                    on_file.append(self._certificate_exemption(company, model.get("customercode"), doc_date))
                exemption = on_file[0]
            calc = self.tables.line_tax(amount, place, code_def, day=doc_date, exempt=exemption,
                                        nexus=nexus, tax_included=bool(line.get("taxincluded")),
                                        discount=discounts[idx - 1])
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
                "taxIncluded": bool(line.get("taxincluded")), "taxDate": day,
                "reportingDate": day, "ref1": line.get("ref1"), "ref2": line.get("ref2"),
                "revAccount": line.get("revenueaccount"), "sourcing": "Destination",
                "destinationAddressId": addr_id, "originAddressId": addr_id, "details": calc["details"],
                "nonPassthroughDetails": [], "lineLocationTypes": [],
            })
        total_amount = sum((l["lineAmount"] for l in out_lines), Decimal("0.00"))
        total_tax = sum((l["tax"] for l in out_lines), Decimal("0.00"))
        country = out_lines and addresses[0]["country"]
        doc = {
            "id": doc_id, "code": code, "companyId": self._company_id(company), "companyCode": company,
            "date": day, "taxDate": day, "paymentDate": None,
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
        marked = [i for i, l in enumerate(lines) if str(l.get("discounted")).lower() == "true"]
        if not marked and not model.get("discount"):
            return [ZERO] * len(lines)
        discount = money(decimal_of(model.get("discount") or 0, "discount"))
        shares = distribute_discount(discount, [money(decimal_of(lines[i].get("amount"), "amount")) for i in marked])
        out = [ZERO] * len(lines)
        for i, share in zip(marked, shares):
            out[i] = share
        return out

    def _nexus(self, company: str) -> set[tuple[str, str]] | None:
        """Where the company collects tax (companies.py): declared nexus, or None for everywhere."""
        return self.companies.nexus_regions(company)

    def _certificate_exemption(self, company: str, customer_code: str | None, day) -> ExemptionInfo | None:
        """An exemption certificate on file for the customer, valid on the document date, exempts
        the lines shipped into its exposure zone (a US state or a country), as AvaTax applies
        certificates stored for a customer code."""
        if not customer_code or self.customers is None:
            return None
        certs = self.customers.certificates_for(company, str(customer_code), day.isoformat())
        if not certs:
            return None
        regions: set[tuple[str, str]] = set()
        for c in certs:
            zone = c.get("exposureZone") or {}
            region, country = (zone.get("region") or "").upper(), (zone.get("country") or "US").upper()
            if not region:   # a zone named only ("California"): the state of that name in the table
                name = (zone.get("name") or "").strip().lower()
                if len(name) == 2:   # a zone named by its state code ("CA")
                    regions.add((country, name.upper()))
                    continue
                hit = next((st for st in self.tables.places.states.values() if st.name.lower() == name), None)
                region = hit.region if hit else ""
            regions.add((country, region))
        first = certs[0]
        return ExemptionInfo(exempt_no=first.get("exemptionNumber") or str(first["id"]),
                             entity_use_code=None, cert_id=int(first["id"]), regions=frozenset(regions))
