"""Checks on the invoice itself: one per order everywhere it must be, and every copy agreeing
with its source (the ERP invoice for amounts, dates and ids; the Stripe invoice for the payment
link and its state; AvaTax for tax)."""
from __future__ import annotations

from .model import Check, cents, day, dec
from .snapshot import Snapshot

LIVE_STRIPE = ("open", "paid", "uncollectible")


def one_invoice(s: Snapshot) -> Check:
    c = Check("one sales order and one invoice", "every activated order has exactly one ERP sales order, exactly "
              "one invoice in the system of record and one invoice mirror; the order's total is the sales "
              "order's and the invoice's subtotal", sources="Salesforce Order, blng__Invoice__c; ERP sales "
              "orders and invoices (SuiteQL)")
    for o in s.orders:
        if o["Status"] != "Activated":
            continue
        c.checked += 1
        key = s.key(o)
        so_list = s.so_by_key.get(key, [])
        if len(so_list) != 1:
            c.fail(f"order {key}: {len(so_list)} ERP sales orders", key)
            continue
        erp_invs = s.inv_by_so.get(str(so_list[0]["id"]), [])
        for what, t in [("ERP sales order", so_list[0])] + [(f"ERP invoice {i['tranid']}", i) for i in erp_invs]:
            if dec(t["subtotal"]) != dec(o.get("TotalAmount")):   # drift: the order changed after it reached the ERP
                c.fail(f"order {key}: order total {dec(o.get('TotalAmount'))} != {what} {dec(t['subtotal'])}", key)
        mirrors = s.mirrors_by_order.get(o["Id"], [])
        if s.sor == "salesforce":
            sor = [m for m in mirrors if m.get("Source_System__c") == "Salesforce"]
        else:
            sor = erp_invs
        if len(sor) != 1:
            c.fail(f"order {key}: {len(sor)} invoices in the system of record ({s.sor})", key)
        if len(erp_invs) > 1:
            c.fail(f"order {key}: {len(erp_invs)} ERP invoices (duplicate invoice)", key)
        if len(mirrors) > 1:
            c.fail(f"order {key}: {len(mirrors)} invoice mirrors in Salesforce", key)
        elif not mirrors and erp_invs and s.sor == "erp":
            c.fail(f"order {key}: 0 invoice mirrors in Salesforce for ERP invoice {erp_invs[0]['tranid']}", key)
    return c


def one_stripe_invoice(s: Snapshot) -> Check:
    c = Check("one finalized Stripe invoice", "every invoiced activated order has exactly one finalized (not "
              "draft, not void) Stripe invoice; a cancelled order's is void (or refunded), never payable",
              sources="ERP invoices; Stripe invoices (metadata.erp_invoice_id), refunds")
    for o in s.orders:
        invs = s.invoices_of(o)
        if not invs:
            continue   # not invoiced: "one sales order and one invoice" reports an activated one
        c.checked += 1
        key, status = s.key(o), o["Status"]
        sis = [si for inv in invs for si in s.si_by_inv.get(str(inv["id"]), [])]
        for si in sis:
            if si["status"] == "draft":
                c.fail(f"order {key}: Stripe invoice {si['id']} is still a draft (never finalized)", key)
        if status == "Activated":
            live = [si for si in sis if si["status"] in LIVE_STRIPE]
            for si in sis:
                if si["status"] == "void":
                    c.fail(f"order {key}: Stripe invoice {si['id']} is void but the order is Activated", key)
            if not sis:
                c.fail(f"order {key}: no Stripe invoice for ERP invoice "
                       f"{', '.join(i['tranid'] for i in invs)}", key)
            elif len(live) > 1:
                c.fail(f"order {key}: {len(live)} payable Stripe invoices ({', '.join(si['id'] for si in live)})", key)
            continue
        for si in sis:   # Cancelled
            if si["status"] == "open":
                c.fail(f"order {key} (Cancelled): Stripe invoice {si['id']} is still open and payable", key)
            elif si["status"] == "paid" and _refunded_cents(s, si) < si["amount_paid"]:
                c.fail(f"order {key} (Cancelled): Stripe invoice {si['id']} was paid and not refunded", key)
    return c


def _refunded_cents(s: Snapshot, si: dict) -> int:
    return sum(r["amount"] for _, _, ch in s.stripe_payments(si) if ch
               for r in s.refunds_by_charge.get(ch, []) if r.get("status") in ("succeeded", "pending"))


def mirrors_agree(s: Snapshot) -> Check:
    c = Check("mirrors agree", "each Salesforce invoice mirror carries its order's ERP invoice id and number and "
              "agrees with the ERP invoice on subtotal, tax, total, dates, balance and paid status",
              sources="blng__Invoice__c; ERP invoices (SuiteQL)")
    for m in s.mirrors:
        c.checked += 1
        order = s.order_by_id.get(m.get("blng__Order__c"))
        key = s.key(order) if order else None
        inv = s.inv_by_id.get(str(m.get("ERP_Invoice_Id__c")))
        if inv is None:
            c.fail(f"mirror {m['Name']}: ERP invoice {m.get('ERP_Invoice_Id__c')} not found", key)
            continue
        billed = s.key_of_invoice(inv["id"])
        if order is not None and billed is not None and billed != key:
            c.fail(f"mirror {m['Name']}: ERP invoice {inv['tranid']} bills order {billed}, the mirror is on "
                   f"order {key}", key)
        for mf, ef in (("blng__TotalAmount__c", "total"), ("blng__TaxAmount__c", "taxtotal"),
                       ("blng__Subtotal__c", "subtotal")):
            if dec(m[mf]) != dec(inv[ef]):
                c.fail(f"mirror {m['Name']}: {mf} {dec(m[mf])} != ERP {ef} {dec(inv[ef])}", key)
        if m.get("ERP_Document_Number__c") and m["ERP_Document_Number__c"] != inv["tranid"]:
            c.fail(f"mirror {m['Name']}: document number {m['ERP_Document_Number__c']} != {inv['tranid']}", key)
        for label, mf, ef in (("due date", "blng__DueDate__c", "duedate"),
                              ("invoice date", "blng__InvoiceDate__c", "trandate")):
            if day(m.get(mf)) != day(inv.get(ef)):
                c.fail(f"mirror {m['Name']}: {label} {day(m.get(mf))} != ERP {inv['tranid']} {label} "
                       f"{day(inv.get(ef))}", key)
        code = inv.get("custbody_ava_doc_code") or inv["tranid"]
        if m.get("AvaTax_Document_Code__c") and m["AvaTax_Document_Code__c"] != code:
            c.fail(f"mirror {m['Name']}: AvaTax document code {m['AvaTax_Document_Code__c']} != ERP {code}", key)
        erp_paid = dec(inv["amountremaining"]) == 0 and dec(inv["total"]) > 0
        sf_paid = m["blng__PaymentStatus__c"] in ("Paid", "Refunded")
        # part paid: the ERP has payments applied and an amount still open
        partial = "Partially Paid" if dec(inv.get("amountpaid")) > 0 else "Unpaid"
        if erp_paid != sf_paid:
            c.fail(f"mirror {m['Name']}: Salesforce says {m['blng__PaymentStatus__c']}, ERP remaining "
                   f"{dec(inv['amountremaining'])}", key)
        elif not sf_paid and dec(m["blng__Balance__c"]) != dec(inv["amountremaining"]):
            c.fail(f"mirror {m['Name']}: balance {dec(m['blng__Balance__c'])} != ERP {dec(inv['amountremaining'])}", key)
        elif not sf_paid and m["blng__PaymentStatus__c"] != partial:
            c.fail(f"mirror {m['Name']}: Salesforce says {m['blng__PaymentStatus__c']}, ERP has "
                   f"{dec(inv.get('amountpaid'))} paid and {dec(inv['amountremaining'])} remaining ({partial})", key)
    return c


def mirrors_agree_with_stripe(s: Snapshot) -> Check:
    c = Check("mirrors agree with Stripe", "each mirror names the Stripe invoice that bills its ERP invoice, with "
              "Stripe's hosted invoice URL; Cancelled exactly when Stripe's is void, Refunded exactly when "
              "Stripe refunded all it collected", sources="blng__Invoice__c; Stripe invoices, charges, refunds")
    for m in s.mirrors:
        inv_id = str(m.get("ERP_Invoice_Id__c"))
        key = s.key_of_invoice(inv_id) or (s.key(s.order_by_id[m["blng__Order__c"]])
                                          if m.get("blng__Order__c") in s.order_by_id else None)
        expected = s.si_by_inv.get(inv_id, [])
        sid = m.get("Stripe_Invoice_Id__c")
        if not sid:
            if expected:
                c.checked += 1
                c.fail(f"mirror {m['Name']}: no Stripe invoice id, but Stripe bills its ERP invoice as "
                       f"{', '.join(si['id'] for si in expected)}", key)
            continue
        c.checked += 1
        si = s.si_by_id.get(sid)
        if si is None:
            c.fail(f"mirror {m['Name']}: Stripe invoice {sid} not found in Stripe", key)
            continue
        owner = s.inv_of_si.get(sid)
        if owner != inv_id:
            c.fail(f"mirror {m['Name']}: Stripe invoice {sid} bills ERP invoice {owner} (order "
                   f"{s.key_of_invoice(owner)}), not the mirror's ERP invoice {inv_id}", key)
            continue
        if (m.get("Hosted_Invoice_URL__c") or None) != (si.get("hosted_invoice_url") or None):
            c.fail(f"mirror {m['Name']}: hosted invoice URL {m.get('Hosted_Invoice_URL__c')} != Stripe's "
                   f"{si.get('hosted_invoice_url')} ({sid})", key)
        if (m.get("blng__InvoiceStatus__c") == "Cancelled") != (si["status"] == "void"):
            c.fail(f"mirror {m['Name']}: invoice status {m.get('blng__InvoiceStatus__c')} but Stripe invoice {sid} "
                   f"is {si['status']}", key)
        fully_refunded = si.get("amount_paid", 0) > 0 and _refunded_cents(s, si) >= si["amount_paid"]
        if (m.get("blng__PaymentStatus__c") == "Refunded") != fully_refunded:
            c.fail(f"mirror {m['Name']}: payment status {m.get('blng__PaymentStatus__c')} but Stripe invoice {sid} "
                   f"collected {si.get('amount_paid', 0)} and refunded {_refunded_cents(s, si)}", key)
    return c


def tax_committed(s: Snapshot) -> Check:
    c = Check("tax committed and matching", "invoice total = lines + committed tax; the AvaTax SalesInvoice "
              "(code = invoice number) has the same amounts and is Committed while the order is live, voided "
              "(Cancelled) only when the order is cancelled", sources="ERP invoices; AvaTax transactions; "
              "Salesforce Order status")
    for inv in s.invoices:
        c.checked += 1
        order = s.order_of_invoice(inv["id"])
        key = s.key(order) if order else None
        if dec(inv["total"]) != dec(inv["subtotal"]) + dec(inv["taxtotal"]):
            c.fail(f"{inv['tranid']}: total {inv['total']} != subtotal + tax", key)
        code = inv.get("custbody_ava_doc_code") or inv["tranid"]
        doc = s.tax_by_code.get((code, "SalesInvoice"))
        if doc is None:
            c.fail(f"{inv['tranid']}: no AvaTax document {code}", key)
            continue
        cancelled = order is not None and order["Status"] == "Cancelled"
        if doc["status"] == "Cancelled" and not cancelled:
            c.fail(f"{inv['tranid']}: AvaTax document {code} is Cancelled (voided) but order {key} is "
                   f"{order['Status'] if order else 'not found'}: the invoice is live", key)
        elif doc["status"] == "Committed" and cancelled:
            c.fail(f"{inv['tranid']}: AvaTax document {code} is still Committed but order {key} was cancelled", key)
        elif doc["status"] not in ("Committed", "Cancelled"):
            c.fail(f"{inv['tranid']}: AvaTax document {code} is {doc['status']}, not Committed", key)
        if dec(doc["totalTax"]) != dec(inv["taxtotal"]) or dec(doc["totalAmount"]) != dec(inv["subtotal"]):
            c.fail(f"{inv['tranid']}: AvaTax {code} tax {doc['totalTax']} on {doc['totalAmount']} != "
                   f"invoice tax {inv['taxtotal']} on {inv['subtotal']}", key)
    return c


def gateway_amounts(s: Snapshot) -> Check:
    c = Check("gateway amounts", "each Stripe invoice totals its ERP invoice; what Stripe collected, in full "
              "or in part payments, is what the ERP has applied", sources="Stripe invoices; ERP invoices")
    for si in s.stripe_invoices:
        erp_id = (si.get("metadata") or {}).get("erp_invoice_id")
        if not erp_id or si["status"] == "draft":
            continue   # a draft is still being filled: "one finalized Stripe invoice" reports it
        c.checked += 1
        inv = s.inv_by_id.get(str(erp_id))
        if inv is None:
            c.fail(f"{si['id']}: ERP invoice {erp_id} not found", (si.get("metadata") or {}).get("order_key"))
            continue
        key = s.key_of_invoice(inv["id"])
        if si["total"] != cents(dec(inv["total"])):
            c.fail(f"{si['id']}: Stripe total {si['total']} != ERP {inv['tranid']} {inv['total']}", key)
        if si["status"] == "paid" and si["amount_paid"] != si["total"]:
            c.fail(f"{si['id']}: paid {si['amount_paid']} of {si['total']}", key)
        if cents(dec(inv["amountpaid"])) != si["amount_paid"]:
            state = "" if si["status"] == "paid" else f" ({si['status']}, {si['amount_remaining']} remaining)"
            c.fail(f"{si['id']}: Stripe collected {si['amount_paid']}{state} but ERP {inv['tranid']} "
                   f"has {inv['amountpaid']} applied", key)
    return c
