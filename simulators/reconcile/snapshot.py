"""Everything reconciliation reads, read once through the systems' public APIs and indexed.

Paging: SOQL through simple-salesforce's ``query_all`` (follows ``nextRecordsUrl``; ``queryAll``
for deleted records), SuiteQL with ``limit``/``offset`` until ``hasMore`` is false, every Stripe
list with ``limit=100`` and ``auto_paging_iter`` (``starting_after``), AvaTax's transaction list
with ``$top``/``$skip`` until ``@recordsetCount`` is reached.

Links between the systems are the ones any integration has to write (docs/integration.md):
the ERP sales order's external id is the order key (``Order_Key__c``, else the order id); the ERP
invoice is created from it; the mirror carries ``ERP_Invoice_Id__c`` and ``Stripe_Invoice_Id__c``;
the Stripe invoice carries ``metadata.erp_invoice_id`` (or, without it, is the one a mirror names).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..clients import AvaTaxConn, ErpConn, SalesforceConn, StripeConn
from .model import Endpoints

PAGE = 1000           # AvaTax's maximum $top
SUITEQL_PAGE = 1000   # SuiteQL's maximum limit


class Snapshot:
    def __init__(self, ep: Endpoints):
        cfg = ep.config()
        self.sor = ep.system_of_record
        self.sf, self.erp, self.tax, self.gw = SalesforceConn(cfg), ErpConn(cfg), AvaTaxConn(cfg), StripeConn(cfg)
        self.company = cfg.company_code
        self._read_salesforce()
        self._read_erp()
        self._read_stripe()
        self._read_avatax()
        self._index()

    # ---- reading -------------------------------------------------------------------------------
    def _read_salesforce(self) -> None:
        q = self.sf.query
        self.all_orders = q("SELECT Id, Order_Key__c, Status, OrderNumber, TotalAmount FROM Order")
        self.orders = [o for o in self.all_orders if o["Status"] in ("Activated", "Cancelled")]
        self.mirrors = q("SELECT Id, Name, blng__Order__c, ERP_Invoice_Id__c, ERP_Document_Number__c, "
                         "Stripe_Invoice_Id__c, Hosted_Invoice_URL__c, AvaTax_Document_Code__c, blng__PaymentStatus__c, "
                         "blng__Balance__c, blng__TotalAmount__c, blng__TaxAmount__c, blng__Subtotal__c, "
                         "blng__InvoiceStatus__c, blng__InvoiceDate__c, blng__DueDate__c, Source_System__c, "
                         "Dispute_Status__c FROM blng__Invoice__c")
        self.sf_payments = q("SELECT Id, Name, Gateway_Charge_Id__c, blng__Invoice__c, blng__Amount__c, "
                             "blng__Status__c FROM blng__Payment__c")
        self.emails = q("SELECT Id, RelatedToId, MessageDate, Dunning_Stage__c, Invoice_Payment_Status_At_Send__c "
                        "FROM EmailMessage WHERE Dunning_Stage__c != null")
        deleted = lambda soql: self.sf.call(lambda sf: sf.query_all(soql, include_deleted=True)["records"])  # noqa: E731
        self.deleted_mirrors = deleted("SELECT Id, Name, ERP_Invoice_Id__c, blng__Order__c FROM blng__Invoice__c "
                                       "WHERE IsDeleted = true")
        self.deleted_payments = deleted("SELECT Id, Name, Gateway_Charge_Id__c, blng__Invoice__c, blng__Amount__c "
                                        "FROM blng__Payment__c WHERE IsDeleted = true")

    def _read_erp(self) -> None:
        self.txns = self.erp.suiteql("SELECT id, tranid, type, externalid, status, total, taxtotal, subtotal, "
                                     "amountremaining, amountpaid, createdfrom, trandate, duedate, entity, "
                                     "custbody_ava_doc_code FROM transaction", limit=SUITEQL_PAGE)
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for t in self.txns:
            by_type[t["type"]].append(t)
        self.sales_orders, self.invoices = by_type["SalesOrd"], by_type["CustInvc"]
        self.erp_payments, self.credit_memos = by_type["CustPymt"], by_type["CustCred"]
        # which invoices each customer payment is applied to: its apply sublist
        self.applied: dict[str, list[tuple[str, Any]]] = {}
        for p in self.erp_payments:
            rec = self.erp.get("customerPayment", str(p["id"]))
            items = (rec.get("apply") or {}).get("items", []) if isinstance(rec.get("apply"), dict) else []
            self.applied[str(p["id"])] = [(str((a.get("doc") or {}).get("id")), a.get("amount")) for a in items]

    def _read_stripe(self) -> None:
        def every(lister) -> list[dict[str, Any]]:
            page = self.gw.call(lambda c: lister(c)(params={"limit": 100}))
            return [o.to_dict() for o in page.auto_paging_iter()]
        self.stripe_invoices = every(lambda c: c.v1.invoices.list)
        self.invoice_payments = every(lambda c: c.v1.invoice_payments.list)
        self.charges = every(lambda c: c.v1.charges.list)
        self.refunds = every(lambda c: c.v1.refunds.list)

    def _read_avatax(self) -> None:
        self.tax_docs: list[dict[str, Any]] = []
        while True:
            body = self.tax.client.list_transactions_by_company(
                self.company, {"$include": "SummaryOnly", "$top": PAGE, "$skip": len(self.tax_docs)}).json()
            page = body.get("value", [])
            self.tax_docs += page
            if not page or len(self.tax_docs) >= int(body.get("@recordsetCount", 0)):
                break

    # ---- indexes -----------------------------------------------------------------------------
    def _index(self) -> None:
        self.order_by_id = {o["Id"]: o for o in self.all_orders}
        self.order_by_key = {self.key(o): o for o in self.all_orders}
        self.so_by_key: dict[str, list[dict]] = defaultdict(list)
        for so in self.sales_orders:
            self.so_by_key[str(so.get("externalid"))].append(so)
        self.so_by_id = {str(so["id"]): so for so in self.sales_orders}
        self.inv_by_id = {str(i["id"]): i for i in self.invoices}
        self.inv_by_so: dict[str, list[dict]] = defaultdict(list)
        for inv in self.invoices:
            self.inv_by_so[str(inv.get("createdfrom"))].append(inv)
        self.mirrors_by_order: dict[str, list[dict]] = defaultdict(list)
        self.mirrors_by_inv: dict[str, list[dict]] = defaultdict(list)
        for m in self.mirrors:
            self.mirrors_by_order[m.get("blng__Order__c")].append(m)
            self.mirrors_by_inv[str(m.get("ERP_Invoice_Id__c"))].append(m)
        self.mirror_by_id = {m["Id"]: m for m in self.mirrors}
        self.si_by_id = {s["id"]: s for s in self.stripe_invoices}
        # Stripe invoices by the ERP invoice they bill: metadata first, else the mirror that names them
        self.si_by_inv: dict[str, list[dict]] = defaultdict(list)
        for s in self.stripe_invoices:
            erp_id = (s.get("metadata") or {}).get("erp_invoice_id")
            if erp_id:
                self.si_by_inv[str(erp_id)].append(s)
        for m in self.mirrors:
            s = self.si_by_id.get(m.get("Stripe_Invoice_Id__c") or "")
            if s is not None and not (s.get("metadata") or {}).get("erp_invoice_id") \
                    and s not in self.si_by_inv[str(m.get("ERP_Invoice_Id__c"))]:
                self.si_by_inv[str(m.get("ERP_Invoice_Id__c"))].append(s)
        self.charge_by_id = {c["id"]: c for c in self.charges}
        self.charges_by_pi: dict[str, list[dict]] = defaultdict(list)
        for c in self.charges:
            if c.get("payment_intent"):
                self.charges_by_pi[c["payment_intent"]].append(c)
        self.refunds_by_charge: dict[str, list[dict]] = defaultdict(list)
        for r in self.refunds:
            self.refunds_by_charge[str(r.get("charge"))].append(r)
        self.inv_of_si = {s["id"]: erp for erp, sis in self.si_by_inv.items() for s in sis}
        self.tax_by_code = {(d.get("code"), d.get("type")): d for d in self.tax_docs}
        self.memos_by_inv: dict[str, list[dict]] = defaultdict(list)
        for cm in self.credit_memos:
            self.memos_by_inv[str(cm.get("createdfrom"))].append(cm)

    # ---- questions ---------------------------------------------------------------------------
    @staticmethod
    def key(order: dict[str, Any]) -> str:
        return order.get("Order_Key__c") or order["Id"]

    def order_of_invoice(self, inv_id: str | None) -> dict[str, Any] | None:
        """The Salesforce order an ERP invoice bills (through its sales order's external id)."""
        inv = self.inv_by_id.get(str(inv_id))
        so = self.so_by_id.get(str(inv.get("createdfrom"))) if inv else None
        if so is None:
            return None
        return self.order_by_key.get(str(so.get("externalid")))

    def key_of_invoice(self, inv_id: str | None) -> str | None:
        o = self.order_of_invoice(inv_id)
        return self.key(o) if o else None

    def invoices_of(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        sos = self.so_by_key.get(self.key(order), [])
        return [i for so in sos for i in self.inv_by_so.get(str(so["id"]), [])]

    def stripe_payments(self, si: dict[str, Any]) -> list[tuple[str, Any, str | None]]:
        """What Stripe collected for one invoice, one entry per payment: (reference, amount in cents,
        charge id). The reference is the charge (or, without one, the PaymentIntent); a remainder
        paid out of band (no payment behind it) is one entry with reference ``out of band``."""
        parts = []
        for p in self.invoice_payments:
            if p.get("invoice") != si["id"] or p.get("status") != "paid" or not p.get("amount_paid"):
                continue
            pi = (p.get("payment") or {}).get("payment_intent")
            charge = next((c["id"] for c in self.charges_by_pi.get(pi, []) if c.get("status") == "succeeded"), None)
            parts.append((charge or pi or p["id"], p["amount_paid"], charge))
        rest = (si.get("amount_paid") or 0) - sum(a for _, a, _ in parts)
        if rest > 0:
            parts.append(("out of band", rest, None))
        return parts
