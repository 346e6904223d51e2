"""Checks on money movements: each Stripe payment is one Salesforce payment and one ERP customer
payment of the same amount; each refund one credit memo; nothing applied twice; nothing deleted
behind the books' back; and the false dunning count."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any, Callable

from .model import Check, dec, ts
from .snapshot import Snapshot


def _pair(left: list[Any], right: list[Any], lref: Callable, rref: Callable, lamt: Callable, ramt: Callable):
    """Match two lists of money movements one to one: first by reference (a charge id both sides
    carry), then what is left by amount. Returns (pairs, unmatched left, unmatched right)."""
    pairs, left, right = [], list(left), list(right)
    for a in list(left):
        b = next((b for b in right if lref(a) and rref(b) == lref(a)), None)
        if b is not None:
            pairs.append((a, b))
            left.remove(a)
            right.remove(b)
    for a in list(left):
        b = next((b for b in right if ramt(b) == lamt(a)), None)
        if b is not None:
            pairs.append((a, b))
            left.remove(a)
            right.remove(b)
    return pairs, left, right


def _money(cents: int) -> Decimal:
    return dec(Decimal(cents) / 100)


def payments_agree(s: Snapshot) -> Check:
    c = Check("payments agree", "one to one, by amount: each payment Stripe collected for an invoice is one "
              "Salesforce blng__Payment__c on its mirror and one ERP customer payment applied to its ERP invoice",
              sources="Stripe invoice payments and charges; blng__Payment__c; ERP customer payments")
    sf_by_inv: dict[str, list[dict]] = defaultdict(list)
    for p in s.sf_payments:
        m = s.mirror_by_id.get(p.get("blng__Invoice__c"))
        if m is None:
            c.fail(f"Salesforce payment {p['Name']} ({p.get('Gateway_Charge_Id__c')}, {dec(p['blng__Amount__c'])}) "
                   f"is on no invoice mirror")
            continue
        sf_by_inv[str(m.get("ERP_Invoice_Id__c"))].append(p)
    erp_by_inv: dict[str, list[tuple[dict, Decimal]]] = defaultdict(list)
    for p in s.erp_payments:
        applied = s.applied.get(str(p["id"]), [])
        if not applied:
            c.fail(f"ERP payment {p.get('externalid') or p['id']} ({p['tranid']}, {dec(p['total'])}) is applied "
                   f"to no invoice")
        for inv_id, amount in applied:
            erp_by_inv[inv_id].append((p, dec(amount)))
    for inv_id in sorted(set(s.si_by_inv) | set(sf_by_inv) | set(erp_by_inv)):
        inv = s.inv_by_id.get(inv_id)
        key, name = s.key_of_invoice(inv_id), inv["tranid"] if inv else f"ERP invoice {inv_id}"
        stripe = [(si, ref, _money(amt), ch) for si in s.si_by_inv.get(inv_id, []) for ref, amt, ch in s.stripe_payments(si)]
        c.checked += 1
        pairs, only_stripe, only_sf = _pair(stripe, sf_by_inv.get(inv_id, []), lambda x: x[3],
                                            lambda p: p.get("Gateway_Charge_Id__c"), lambda x: x[2],
                                            lambda p: dec(p["blng__Amount__c"]))
        for (si, ref, amt, _), p in pairs:
            if dec(p["blng__Amount__c"]) != amt:
                c.fail(f"{name}: Salesforce payment {p['Name']} for {ref} is {dec(p['blng__Amount__c'])}, Stripe "
                       f"collected {amt} ({si['id']})", key)
        for si, ref, amt, _ in only_stripe:
            c.fail(f"{name}: Stripe payment {ref} of {amt} on {si['id']} has no Salesforce payment", key)
        for p in only_sf:
            c.fail(f"{name}: Salesforce payment {p['Name']} ({p.get('Gateway_Charge_Id__c')}) of "
                   f"{dec(p['blng__Amount__c'])} has no Stripe payment of that amount", key)
        pairs, only_stripe, only_erp = _pair(stripe, erp_by_inv.get(inv_id, []), lambda x: x[3],
                                             lambda pa: pa[0].get("externalid"), lambda x: x[2], lambda pa: pa[1])
        for (si, ref, amt, _), (p, applied) in pairs:
            if applied != amt:
                c.fail(f"{name}: ERP payment {p['tranid']} for {ref} applies {applied}, Stripe collected {amt} "
                       f"({si['id']})", key)
        for si, ref, amt, _ in only_stripe:
            c.fail(f"{name}: Stripe payment {ref} of {amt} on {si['id']} has no ERP customer payment", key)
        for p, applied in only_erp:
            c.fail(f"{name}: ERP payment {p.get('externalid') or p['id']} ({p['tranid']}) of {applied} has no "
                   f"Stripe payment of that amount", key)
    return c


def no_payment_twice(s: Snapshot) -> Check:
    c = Check("no payment applied twice", "each gateway charge is one ERP payment and one Salesforce payment; "
              "no invoice is paid beyond its total", sources="ERP customer payments and invoices; blng__Payment__c")
    c.checked = len(s.erp_payments) + len(s.sf_payments)
    for ext, n in Counter(p.get("externalid") for p in s.erp_payments).items():
        if n > 1:
            c.fail(f"ERP payment {ext} recorded {n} times")
    for ext, n in Counter(p.get("Gateway_Charge_Id__c") for p in s.sf_payments).items():
        if n > 1:
            c.fail(f"Salesforce payment {ext} recorded {n} times")
    for inv in s.invoices:
        if dec(inv["amountpaid"]) > dec(inv["total"]):
            c.fail(f"{inv['tranid']}: {inv['amountpaid']} paid against {inv['total']}", s.key_of_invoice(inv["id"]))
    return c


def refunds_credited(s: Snapshot) -> Check:
    c = Check("refunds credited", "one to one, by amount: each Stripe refund of an invoice's payment is one ERP "
              "credit memo created from that invoice, and each credit memo has a refund behind it",
              sources="Stripe refunds and charges; ERP credit memos (SuiteQL)")
    for inv_id in sorted(set(s.si_by_inv) | set(s.memos_by_inv)):
        inv = s.inv_by_id.get(inv_id)
        key, name = s.key_of_invoice(inv_id), inv["tranid"] if inv else f"ERP invoice {inv_id}"
        refunds = [r for si in s.si_by_inv.get(inv_id, []) for _, _, ch in s.stripe_payments(si) if ch
                   for r in s.refunds_by_charge.get(ch, []) if r.get("status") in ("succeeded", "pending")]
        memos = s.memos_by_inv.get(inv_id, [])
        if not refunds and not memos:
            continue
        c.checked += 1
        _, only_refund, only_memo = _pair(refunds, memos, lambda r: None, lambda m: None,
                                          lambda r: _money(r["amount"]), lambda m: abs(dec(m["total"])))
        for r in only_refund:
            c.fail(f"{name}: Stripe refund {r['id']} of {_money(r['amount'])} ({r.get('charge')}) has no credit "
                   f"memo in the ERP", key)
        for m in only_memo:
            c.fail(f"{name}: ERP credit memo {m['id']} ({m.get('tranid')}) of {abs(dec(m['total']))} has no Stripe "
                   f"refund behind it", key)
    return c


def deleted_records(s: Snapshot) -> Check:
    c = Check("deleted records", "no invoice mirror or payment was deleted in Salesforce while what it records "
              "still stands (read with queryAll: deleted records in the recycle bin)",
              sources="blng__Invoice__c, blng__Payment__c (queryAll, IsDeleted = true)")
    live_invs = {str(m.get("ERP_Invoice_Id__c")) for m in s.mirrors}
    live_charges = {p.get("Gateway_Charge_Id__c") for p in s.sf_payments}
    c.checked = len(s.deleted_mirrors) + len(s.deleted_payments)
    for m in s.deleted_mirrors:
        if m.get("ERP_Invoice_Id__c") and str(m["ERP_Invoice_Id__c"]) not in live_invs:
            inv = s.inv_by_id.get(str(m["ERP_Invoice_Id__c"]))
            c.fail(f"invoice mirror {m['Name']} ({m['Id']}) of ERP invoice "
                   f"{inv['tranid'] if inv else m['ERP_Invoice_Id__c']} was deleted in Salesforce",
                   s.key_of_invoice(m["ERP_Invoice_Id__c"]))
    for p in s.deleted_payments:
        if p.get("Gateway_Charge_Id__c") not in live_charges:
            c.fail(f"Salesforce payment {p['Name']} ({p.get('Gateway_Charge_Id__c')}, {dec(p['blng__Amount__c'])}) "
                   f"was deleted")
    return c


def false_dunning(s: Snapshot) -> list[dict[str, Any]]:
    """Dunning emails created after the payment succeeded at the gateway."""
    paid_at = {}
    for si in s.stripe_invoices:
        t = (si.get("status_transitions") or {}).get("paid_at")
        if t:
            paid_at[si["id"]] = ts(t)
    out = []
    for e in s.emails:
        m = s.mirror_by_id.get(e["RelatedToId"])
        if not m or not m.get("Stripe_Invoice_Id__c"):
            continue
        paid = paid_at.get(m["Stripe_Invoice_Id__c"])
        sent = ts(e["MessageDate"])
        if paid and sent and sent > paid:
            out.append({"email": e["Id"], "invoice": m["Name"], "stage": e["Dunning_Stage__c"],
                        "sent": sent.isoformat(), "paid_at_gateway": paid.isoformat(),
                        "lag_seconds": int((sent - paid).total_seconds())})
    return out
