"""Cross-system reconciliation: the harness's judgement of any integration.

Reads all four systems through their public APIs (simple-salesforce, the ERP's SuiteQL and
record API, the AvaTax and Stripe SDKs) and checks the invariants of docs/integration.md
("Reconciliation"). It never looks inside the integration, so it judges a user's own integration
the same way; when the reference integration's control plane is given (``Endpoints.integration``),
its queued, retrying and dead-lettered work is reported too, as *unfinished*.

    report = reconcile(Endpoints.for_harness(h))
    print(report.table()); report.ok; report.to_json()

Every failure names its check and the records at fault, and is either *lost/altered* (the books
are wrong) or *unfinished* (the order it concerns still has work in the integration); ``ok`` is
false in both cases.
"""
from __future__ import annotations

import json

from . import checks_invoices as inv
from . import checks_money as money
from .model import LOST, UNFINISHED, Check, Endpoints, Report, cents, dec
from .model import ts as _ts
from .snapshot import Snapshot
from .work import work_unfinished

__all__ = ["Check", "Endpoints", "Report", "reconcile", "main_print", "dec", "LOST", "UNFINISHED"]
_cents = cents


def reconcile(ep: Endpoints) -> Report:
    s = Snapshot(ep)
    checks = [inv.one_invoice(s), inv.one_stripe_invoice(s), inv.mirrors_agree(s), inv.mirrors_agree_with_stripe(s),
              inv.tax_committed(s), inv.gateway_amounts(s), money.payments_agree(s), money.no_payment_twice(s),
              money.refunds_credited(s), money.deleted_records(s)]
    work, unfinished_orders = work_unfinished(ep, s)
    for c in checks:   # a failure about an order the integration has not finished is unfinished, not lost
        c.statuses = [UNFINISHED if o in unfinished_orders else st for o, st in zip(c.orders, c.statuses)]
    checks.append(work)
    ours = [si for si in s.stripe_invoices if (si.get("metadata") or {}).get("erp_invoice_id")]
    counts = {"orders": len([o for o in s.orders if o["Status"] == "Activated"]), "sales_orders": len(s.sales_orders),
              "erp_invoices": len(s.invoices), "mirrors": len(s.mirrors), "stripe_invoices": len(ours),
              "stripe_paid": len([si for si in ours if si["status"] == "paid"]), "erp_payments": len(s.erp_payments),
              "sf_payments": len(s.sf_payments), "refunds": len(s.refunds), "credit_memos": len(s.credit_memos),
              "dunning_emails": len(s.emails)}
    report = Report(ep.system_of_record, checks, counts, money.false_dunning(s))
    counts.update(lost_or_altered=report.lost, unfinished=report.unfinished)
    return report


def main_print(report: Report, as_json: bool) -> int:
    print(json.dumps(report.to_json(), indent=2) if as_json else report.table())
    return 0 if report.ok else 1
