"""The collections (dunning) automation: a schedule-triggered flow on the simulated clock.

Every day at the policy's ``schedule.time`` (UTC) it runs the SOQL-equivalent of

    SELECT ... FROM blng__Invoice__c
    WHERE blng__InvoiceStatus__c = 'Posted' AND blng__Balance__c > 0 AND blng__DueDate__c < TODAY

skips paid, disputed and on-hold invoices (per policy), and for each remaining invoice sends the
latest reached stage that is later than the last one sent: an EmailMessage (stage, payment status
and balance at send time, MessageDate = simulated now), a Task for the collector, escalation.
The policy is ``dunning_policy.yaml`` in ``simulators.data`` (override: ``O2C_DUNNING_POLICY``).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from simulators import data

from simulators.core.errors import ControlError
from simulators.core.jsonutil import money

ORIGIN = "com/salesforce/flow/Collections_Dunning_Daily"


def load_policy(path: Path | None = None) -> dict[str, Any]:
    """The dunning policy: ``path``, else ``O2C_DUNNING_POLICY`` / ``O2C_FIXTURES``, else the packaged default."""
    return validate_policy(data.load("dunning_policy", path))


def validate_policy(policy: Any) -> dict[str, Any]:
    if not isinstance(policy, dict):
        raise ControlError("the policy must be an object")
    stages = policy.get("stages")
    if not isinstance(stages, list) or not stages:
        raise ControlError("policy.stages must be a non-empty list")
    templates = policy.get("templates") or {}
    keys, last = set(), -1
    for s in stages:
        if not isinstance(s, dict) or "key" not in s or "days_overdue" not in s:
            raise ControlError("each stage needs key and days_overdue")
        if s["key"] in keys:
            raise ControlError(f"duplicate stage key {s['key']!r}")
        if int(s["days_overdue"]) <= last:
            raise ControlError("stages must be in increasing days_overdue order")
        if s.get("template") and s["template"] not in templates:
            raise ControlError(f"stage {s['key']!r} names unknown template {s['template']!r}")
        keys.add(s["key"])
        last = int(s["days_overdue"])
    hh, mm = str((policy.get("schedule") or {}).get("time", "06:00")).split(":")
    if not (0 <= int(hh) < 24 and 0 <= int(mm) < 60):
        raise ControlError("schedule.time must be HH:MM")
    return policy


class SafeDict(dict):
    def __missing__(self, key):
        return "{" + key + "}"


class Dunning:
    def __init__(self, org):
        self.org = org

    @property
    def policy(self) -> dict[str, Any]:
        return self.org.store.data["dunning"]["policy"]

    def set_policy(self, policy: dict[str, Any]) -> dict[str, Any]:
        self.org.store.data["dunning"]["policy"] = validate_policy(policy)
        self.schedule_next()
        return self.policy

    # ---- scheduling ---------------------------------------------------------------------
    def schedule_next(self) -> None:
        sim = self.org.sim
        job = getattr(self, "_job", None)
        if job is not None:
            job.cancelled = True
        hh, mm = (int(x) for x in str(self.policy.get("schedule", {}).get("time", "06:00")).split(":"))
        now = sim.clock.now()
        when = datetime.combine(now.date(), time(hh, mm), tzinfo=timezone.utc)
        if when <= now:
            when += timedelta(days=1)
        self._job = sim.clock.schedule(when, self._daily, name="salesforce dunning flow (daily)", owner=sim.name)

    def _daily(self) -> None:
        self._job = None
        try:
            self.run()
        finally:
            self.schedule_next()

    # ---- the flow -----------------------------------------------------------------------
    def candidates(self, today) -> list[dict[str, Any]]:
        db = self.org.db
        return sorted((inv for inv in db.table("blng__Invoice__c").values()
                       if inv.get("blng__InvoiceStatus__c") == "Posted"
                       and (inv.get("blng__Balance__c") or Decimal(0)) > 0
                       and inv.get("blng__DueDate__c") is not None and inv["blng__DueDate__c"] < today),
                      key=lambda r: (r["blng__DueDate__c"], r["Id"]))

    def skip_reason(self, inv: dict[str, Any]) -> str | None:
        skip = self.policy.get("skip") or {}
        if inv.get("blng__PaymentStatus__c") in (skip.get("payment_statuses") or ["Paid"]):
            return "paid"
        if skip.get("disputed", True) and inv.get("Dispute_Status__c"):
            return "disputed"
        if skip.get("on_hold", True) and inv.get("On_Hold__c"):
            return "on_hold"
        return None

    def sent_stages(self, invoice_id: str) -> list[str]:
        return [e["Dunning_Stage__c"] for e in self.org.db.table("EmailMessage").values()
                if e.get("RelatedToId") and e["RelatedToId"][:15] == invoice_id[:15] and e.get("Dunning_Stage__c")]

    def run(self) -> dict[str, Any]:
        now = self.org.sim.clock.now()
        today = now.date()
        stages = self.policy["stages"]
        order = {s["key"]: i for i, s in enumerate(stages)}
        summary: dict[str, Any] = {"at": now, "examined": 0, "sent": [], "skipped": {}}
        db = self.org.db
        with db.transaction(origin=ORIGIN):
            for inv in self.candidates(today):
                summary["examined"] += 1
                reason = self.skip_reason(inv)
                if reason:
                    summary["skipped"][inv["Id"]] = reason
                    continue
                overdue = (today - inv["blng__DueDate__c"]).days
                reached = [s for s in stages if overdue >= int(s["days_overdue"])]
                if not reached:
                    continue
                stage = reached[-1]
                sent = self.sent_stages(inv["Id"])
                last = max((order.get(k, -1) for k in sent), default=-1)
                if order[stage["key"]] <= last:
                    continue
                self._send(inv, stage, overdue, now)
                summary["sent"].append({"invoice": inv["Id"], "stage": stage["key"], "days_overdue": overdue})
        runs = self.org.store.data["dunning"]["runs"]
        runs.append(summary)
        del runs[:-200]
        return summary

    def _context(self, inv: dict[str, Any], overdue: int) -> SafeDict:
        acct = self.org.db.find(inv["blng__Account__c"], "Account") or {}
        return SafeDict(
            account_name=acct.get("Name", ""), invoice_number=inv.get("ERP_Document_Number__c") or inv.get("Name"),
            balance=f"{money(inv.get('blng__Balance__c') or 0):,.2f}", currency="USD",
            due_date=inv["blng__DueDate__c"].isoformat(), days_overdue=overdue,
            pay_url=inv.get("Hosted_Invoice_URL__c") or "(contact us)")

    def _recipient(self, inv: dict[str, Any]) -> str | None:
        acct = self.org.db.find(inv["blng__Account__c"], "Account") or {}
        if acct.get("Email__c"):
            return acct["Email__c"]
        for c in self.org.db.table("Contact").values():
            if c.get("AccountId") and c["AccountId"][:15] == acct.get("Id", "")[:15] and c.get("Email"):
                return c["Email"]
        return None

    def _send(self, inv: dict[str, Any], stage: dict[str, Any], overdue: int, now: datetime) -> None:
        db = self.org.db
        ctx = self._context(inv, overdue)
        template = (self.policy.get("templates") or {}).get(stage.get("template") or "", {})
        if template:
            db.create("EmailMessage", {
                "RelatedToId": inv["Id"], "Subject": template.get("subject", "").format_map(ctx)[:3000],
                "TextBody": template.get("body", "").format_map(ctx), "ToAddress": self._recipient(inv),
                "FromAddress": self.policy.get("from_address"), "FromName": self.policy.get("from_name"),
                "Status": "3", "MessageDate": now.isoformat(), "Incoming": False,
                "Dunning_Stage__c": stage["key"],
                "Invoice_Payment_Status_At_Send__c": inv.get("blng__PaymentStatus__c"),
                "Invoice_Balance_At_Send__c": str(inv.get("blng__Balance__c") or 0),
            })
        task = stage.get("task")
        if task:
            db.create("Task", {
                "Subject": str(task.get("subject", f"Dunning {stage['key']}")).format_map(ctx)[:255],
                "Priority": task.get("priority", "Normal"), "Status": "Not Started", "Type": "Collections",
                "ActivityDate": (now.date() + timedelta(days=int(task.get("due_in_days", 3)))).isoformat(),
                "WhatId": inv["Id"], "Dunning_Stage__c": stage["key"],
                "Description": f"Invoice {ctx['invoice_number']}, balance {ctx['balance']}, {overdue} days overdue.",
            })
        changes: dict[str, Any] = {"Last_Dunning_Stage__c": stage["key"]}
        changes["Collections_Status__c"] = "In Collections" if stage.get("escalate") else (
            inv.get("Collections_Status__c") if inv.get("Collections_Status__c") == "In Collections" else "In Dunning")
        db.update("blng__Invoice__c", inv["Id"], changes)
