"""Cross-system reconciliation: the harness's judgement of any integration.

Reads all four systems through their public APIs (simple-salesforce, the ERP's SuiteQL and
record API, the AvaTax and Stripe SDKs) and checks the invariants of ../shared/DESIGN.md. It
never looks inside the integration, so it judges a user's own integration the same way.

    report = reconcile(Endpoints.for_harness(h))
    print(report.table()); report.ok; report.to_json()
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from .core.jsonutil import money
from .integration.clients import AvaTaxConn, ErpConn, SalesforceConn, StripeConn
from .integration.config import Config


def dec(v: Any) -> Decimal:
    return money(str(v if v is not None else 0))


@dataclass
class Check:
    name: str
    description: str
    failures: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class Report:
    system_of_record: str
    checks: list[Check]
    counts: dict[str, int]
    false_dunning: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "system_of_record": self.system_of_record, "counts": self.counts,
                "false_dunning": {"count": len(self.false_dunning), "emails": self.false_dunning},
                "checks": [{"name": c.name, "ok": c.ok, "checked": c.checked, "description": c.description,
                            "failures": c.failures} for c in self.checks]}

    def table(self) -> str:
        lines = [f"Reconciliation (system of record: {self.system_of_record})",
                 "  " + ", ".join(f"{k}={v}" for k, v in self.counts.items()),
                 f"  {'check':<34}{'checked':>8}  result"]
        for c in self.checks:
            lines.append(f"  {c.name:<34}{c.checked:>8}  {'ok' if c.ok else 'FAILED (' + str(len(c.failures)) + ')'}")
            lines += [f"      - {f}" for f in c.failures[:10]]
            if len(c.failures) > 10:
                lines.append(f"      … {len(c.failures) - 10} more")
        lines.append(f"  false dunning (emails after the customer had paid): {len(self.false_dunning)}")
        lines.append("  BOOKS RECONCILE" if self.ok else "  BOOKS DO NOT RECONCILE")
        return "\n".join(lines)


@dataclass
class Endpoints:
    salesforce: str
    stripe: str
    avalara: str
    erp: str
    ca_bundle: str | None = None
    system_of_record: str = "erp"

    @classmethod
    def for_harness(cls, h, system_of_record: str = "erp") -> "Endpoints":
        ca = str(h.ca_path) if getattr(h, "ca_path", None) else None
        return cls(h.url("salesforce"), h.url("stripe"), h.url("avalara"), h.url("erp"), ca, system_of_record)

    def config(self) -> Config:
        return Config(salesforce_url=self.salesforce, stripe_url=self.stripe, avalara_url=self.avalara,
                      erp_url=self.erp, ca_bundle=self.ca_bundle, stripe_key="sk_test_o2c_reconcile")


def _ts(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _cents(d: Decimal) -> int:
    return int((d * 100).to_integral_value())


def reconcile(ep: Endpoints) -> Report:
    cfg = ep.config()
    sf, erp, tax, gw = SalesforceConn(cfg), ErpConn(cfg), AvaTaxConn(cfg), StripeConn(cfg)

    orders = sf.query("SELECT Id, Order_Key__c, Status, OrderNumber, TotalAmount FROM Order "
                      "WHERE Status IN ('Activated', 'Cancelled')")
    mirrors = sf.query("SELECT Id, Name, blng__Order__c, ERP_Invoice_Id__c, ERP_Document_Number__c, Stripe_Invoice_Id__c, "
                       "blng__PaymentStatus__c, blng__Balance__c, blng__TotalAmount__c, blng__TaxAmount__c, "
                       "blng__Subtotal__c, blng__InvoiceStatus__c, Source_System__c, Dispute_Status__c FROM blng__Invoice__c")
    sf_payments = sf.query("SELECT Id, Gateway_Charge_Id__c, blng__Invoice__c, blng__Amount__c FROM blng__Payment__c")
    emails = sf.query("SELECT Id, RelatedToId, MessageDate, Dunning_Stage__c, Invoice_Payment_Status_At_Send__c "
                      "FROM EmailMessage WHERE Dunning_Stage__c != null")
    txns = erp.suiteql("SELECT id, tranid, type, externalid, status, total, taxtotal, subtotal, amountremaining, "
                       "amountpaid, createdfrom, custbody_ava_doc_code FROM transaction")
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in txns:
        by_type[t["type"]].append(t)
    stripe_invoices = [i.to_dict() for i in gw.call(lambda c: c.v1.invoices.list(params={"limit": 100})).auto_paging_iter()]
    ours = [i for i in stripe_invoices if i.get("metadata", {}).get("erp_invoice_id")]
    avatax_docs = {d["code"]: d for d in (tax.client.list_transactions_by_company(cfg.company_code, {"$include": "SummaryOnly"}).json().get("value", []))}

    sos = by_type["SalesOrd"]
    invoices = by_type["CustInvc"]
    inv_by_id = {str(i["id"]): i for i in invoices}
    so_by_ext = defaultdict(list)
    for so in sos:
        so_by_ext[so.get("externalid")].append(so)
    inv_by_so = defaultdict(list)
    for inv in invoices:
        inv_by_so[str(inv.get("createdfrom"))].append(inv)
    mirrors_by_order = defaultdict(list)
    for m in mirrors:
        mirrors_by_order[m["blng__Order__c"]].append(m)

    # 1. every activated order: one sales order, one invoice in the system of record
    c1 = Check("one sales order and one invoice", "every activated order has exactly one ERP sales order and "
               "exactly one invoice in the system of record, both for the order's total")
    for o in orders:
        if o["Status"] != "Activated":
            continue
        c1.checked += 1
        key = o.get("Order_Key__c") or o["Id"]
        so_list = so_by_ext.get(key, [])
        if len(so_list) != 1:
            c1.failures.append(f"order {key}: {len(so_list)} ERP sales orders")
            continue
        erp_invs = inv_by_so.get(str(so_list[0]["id"]), [])
        for what, t in [("ERP sales order", so_list[0])] + [(f"ERP invoice {i['tranid']}", i) for i in erp_invs]:
            if dec(t["subtotal"]) != dec(o.get("TotalAmount")):   # drift: the order changed after it reached the ERP
                c1.failures.append(f"order {key}: order total {dec(o.get('TotalAmount'))} != {what} {dec(t['subtotal'])}")
        if ep.system_of_record == "salesforce":
            sor = [m for m in mirrors_by_order.get(o["Id"], []) if m.get("Source_System__c") == "Salesforce"]
        else:
            sor = erp_invs
        if len(sor) != 1:
            c1.failures.append(f"order {key}: {len(sor)} invoices in the system of record ({ep.system_of_record})")
        if len(erp_invs) > 1:
            c1.failures.append(f"order {key}: {len(erp_invs)} ERP invoices (duplicate invoice)")
        if len(mirrors_by_order.get(o["Id"], [])) > 1:
            c1.failures.append(f"order {key}: {len(mirrors_by_order[o['Id']])} invoice mirrors in Salesforce")

    # 2. mirrors carry the system of record's ids and agree on amounts and status
    c2 = Check("mirrors agree", "each Salesforce invoice carries the ERP id and agrees on amounts and status")
    for m in mirrors:
        c2.checked += 1
        inv = inv_by_id.get(str(m.get("ERP_Invoice_Id__c")))
        if inv is None:
            c2.failures.append(f"mirror {m['Name']}: ERP invoice {m.get('ERP_Invoice_Id__c')} not found")
            continue
        for mf, ef in (("blng__TotalAmount__c", "total"), ("blng__TaxAmount__c", "taxtotal"),
                       ("blng__Subtotal__c", "subtotal")):
            if dec(m[mf]) != dec(inv[ef]):
                c2.failures.append(f"mirror {m['Name']}: {mf} {dec(m[mf])} != ERP {ef} {dec(inv[ef])}")
        if m.get("ERP_Document_Number__c") and m["ERP_Document_Number__c"] != inv["tranid"]:
            c2.failures.append(f"mirror {m['Name']}: document number {m['ERP_Document_Number__c']} != {inv['tranid']}")
        erp_paid = dec(inv["amountremaining"]) == 0 and dec(inv["total"]) > 0
        sf_paid = m["blng__PaymentStatus__c"] in ("Paid", "Refunded")
        # part paid: the ERP has payments applied and an amount still open
        partial = "Partially Paid" if dec(inv.get("amountpaid")) > 0 else "Unpaid"
        if erp_paid != sf_paid:
            c2.failures.append(f"mirror {m['Name']}: Salesforce says {m['blng__PaymentStatus__c']}, ERP remaining "
                               f"{dec(inv['amountremaining'])}")
        elif not sf_paid and dec(m["blng__Balance__c"]) != dec(inv["amountremaining"]):
            c2.failures.append(f"mirror {m['Name']}: balance {dec(m['blng__Balance__c'])} != ERP "
                               f"{dec(inv['amountremaining'])}")
        elif not sf_paid and m["blng__PaymentStatus__c"] != partial:
            c2.failures.append(f"mirror {m['Name']}: Salesforce says {m['blng__PaymentStatus__c']}, ERP has "
                               f"{dec(inv.get('amountpaid'))} paid and {dec(inv['amountremaining'])} remaining "
                               f"({partial})")

    # 3. invoice total = lines + committed tax; the committed AvaTax document matches
    c3 = Check("tax committed and matching", "invoice total = lines + committed tax, and the committed AvaTax "
               "document (code = invoice number) has the same amounts")
    for inv in invoices:
        c3.checked += 1
        if dec(inv["total"]) != dec(inv["subtotal"]) + dec(inv["taxtotal"]):
            c3.failures.append(f"{inv['tranid']}: total {inv['total']} != subtotal + tax")
        code = inv.get("custbody_ava_doc_code") or inv["tranid"]
        doc = avatax_docs.get(code)
        if doc is None:
            c3.failures.append(f"{inv['tranid']}: no AvaTax document {code}")
            continue
        if doc["status"] not in ("Committed", "Cancelled"):
            c3.failures.append(f"{inv['tranid']}: AvaTax document {code} is {doc['status']}, not Committed")
        if dec(doc["totalTax"]) != dec(inv["taxtotal"]) or dec(doc["totalAmount"]) != dec(inv["subtotal"]):
            c3.failures.append(f"{inv['tranid']}: AvaTax {code} tax {doc['totalTax']} on {doc['totalAmount']} != "
                               f"invoice tax {inv['taxtotal']} on {inv['subtotal']}")

    # 4. Stripe: invoice total = ERP total; what Stripe collected (in full or in part payments) = what the
    #    ERP has applied, so a part payment applied twice, or not at all, shows
    c4 = Check("gateway amounts", "each Stripe invoice totals its ERP invoice; what Stripe collected, in full "
               "or in part payments, is what the ERP has applied")
    refunded_invoices = set()
    for si in ours:
        c4.checked += 1
        inv = inv_by_id.get(si["metadata"]["erp_invoice_id"])
        if inv is None:
            c4.failures.append(f"{si['id']}: ERP invoice {si['metadata']['erp_invoice_id']} not found")
            continue
        if si["total"] != _cents(dec(inv["total"])):
            c4.failures.append(f"{si['id']}: Stripe total {si['total']} != ERP {inv['tranid']} {inv['total']}")
        if si["status"] == "paid" and si["amount_paid"] != si["total"]:
            c4.failures.append(f"{si['id']}: paid {si['amount_paid']} of {si['total']}")
        if _cents(dec(inv["amountpaid"])) != si["amount_paid"] and str(inv["id"]) not in refunded_invoices:
            state = "" if si["status"] == "paid" else f" ({si['status']}, {si['amount_remaining']} remaining)"
            c4.failures.append(f"{si['id']}: Stripe collected {si['amount_paid']}{state} but ERP {inv['tranid']} "
                               f"has {inv['amountpaid']} applied")

    # 5. no payment applied twice
    c5 = Check("no payment applied twice", "each gateway charge is one ERP payment and one Salesforce payment; "
               "no invoice is paid beyond its total")
    pays = by_type["CustPymt"]
    c5.checked = len(pays) + len(sf_payments)
    for ext, n in Counter(p.get("externalid") for p in pays).items():
        if n > 1:
            c5.failures.append(f"ERP payment {ext} recorded {n} times")
    for ext, n in Counter(p.get("Gateway_Charge_Id__c") for p in sf_payments).items():
        if n > 1:
            c5.failures.append(f"Salesforce payment {ext} recorded {n} times")
    for inv in invoices:
        if dec(inv["amountpaid"]) > dec(inv["total"]):
            c5.failures.append(f"{inv['tranid']}: {inv['amountpaid']} paid against {inv['total']}")

    # 6. false dunning: emails created after the payment succeeded at the gateway
    paid_at = {}
    for si in ours:
        t = (si.get("status_transitions") or {}).get("paid_at")
        if t:
            paid_at[si["id"]] = _ts(t)
    mirror_by_id = {m["Id"]: m for m in mirrors}
    false_dunning = []
    for e in emails:
        m = mirror_by_id.get(e["RelatedToId"])
        if not m or not m.get("Stripe_Invoice_Id__c"):
            continue
        paid = paid_at.get(m["Stripe_Invoice_Id__c"])
        sent = _ts(e["MessageDate"])
        if paid and sent and sent > paid:
            false_dunning.append({"email": e["Id"], "invoice": m["Name"], "stage": e["Dunning_Stage__c"],
                                  "sent": sent.isoformat(), "paid_at_gateway": paid.isoformat(),
                                  "lag_seconds": int((sent - paid).total_seconds())})

    counts = {"orders": len([o for o in orders if o["Status"] == "Activated"]), "sales_orders": len(sos),
              "erp_invoices": len(invoices), "mirrors": len(mirrors), "stripe_invoices": len(ours),
              "stripe_paid": len([s for s in ours if s["status"] == "paid"]), "erp_payments": len(pays),
              "dunning_emails": len(emails)}
    return Report(ep.system_of_record, [c1, c2, c3, c4, c5], counts, false_dunning)


def main_print(report: Report, as_json: bool) -> int:
    print(json.dumps(report.to_json(), indent=2) if as_json else report.table())
    return 0 if report.ok else 1
