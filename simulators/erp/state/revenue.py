"""ASC 606 / IFRS 15 revenue recognition in the shape of NetSuite ARM.

Invoice -> revenue arrangement (immediately, or after ``revenue_delay`` simulated seconds, as ARM's
automatic mode does hours later) with one revenue element per invoice line:
- the transaction price (line amounts, tax excluded) is allocated by relative standalone selling
  price (item ``custitem_ssp`` x quantity), Decimal half-up, remainder on the last element;
- each element gets an actual revenue plan: point in time (delivery = fulfillment or invoice date;
  go-live = held until ``custbody_go_live_date`` / the go-live control), straight-line by even
  periods, or straight-line using exact days (the last period absorbs the rounding remainder);
- closing a period posts one revenue recognition journal entry (Dr 2500 Deferred Revenue,
  Cr revenue) for the plan lines of that period and marks them recognized;
- a credit memo lowers the transaction price, which is re-allocated on the same SSP basis; the
  remaining (unrecognized) plan lines are re-planned, closed periods are never edited, and any
  excess already recognized becomes a catch-up line in the first open period.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from ...core.errors import ControlError
from ...core.jsonutil import money
from .base import ZERO, add_months, next_period, parse_date, period_bounds, period_name, period_of
from .base import StateBase
from .entities import REV_RULES

DEFERRED = ("2500", "Deferred Revenue")
REVENUE_ACCOUNT = {"delivery": ("4000", "Product Revenue"), "go_live": ("4200", "Services Revenue"),
                   None: ("4100", "Subscription Revenue")}


def allocate(price: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Relative allocation in cents; the last share absorbs the remainder."""
    total = sum(weights, Decimal(0))
    if not weights:
        return []
    if total == 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    shares = [money(price * w / total) for w in weights[:-1]]
    return shares + [price - sum(shares, ZERO)]


def months_between(start: date, end: date) -> list[str]:
    out, p = [], period_of(start)
    while p <= period_of(end):
        out.append(p)
        p = next_period(p)
    return out


def schedule(method: str, amount: Decimal, start: date, end: date) -> list[tuple[str, Decimal]]:
    if method == "point_in_time":
        return [(period_of(start), amount)]
    periods = months_between(start, end)
    if method == "ratable_even":
        weights = [Decimal(1)] * len(periods)
    else:  # ratable_exact_days
        weights = []
        for p in periods:
            lo, hi = period_bounds(p)
            weights.append(Decimal((min(hi, end) - max(lo, start)).days + 1))
    return list(zip(periods, allocate(amount, weights)))


class RevenueBook(StateBase):
    """Revenue arrangements, plans and period close: shares the ERP's store, owns no request context."""

    def __init__(self, sim, store, settings: dict):
        self.sim, self.store, self.settings = sim, store, settings
        self._auto_job = None

    # ---- arrangement creation ----------------------------------------------------------
    def on_invoice(self, inv: dict) -> None:
        delay = float(self.settings.get("revenue_delay", 0) or 0)
        if delay <= 0:
            self.create_arrangement(inv["id"])
        else:
            self.sim.clock.schedule(timedelta(seconds=delay), lambda: self.create_arrangement(inv["id"]),
                                    name=f"revenue arrangement for {inv['tranId']}", owner=self.sim.name)

    def arrangement_for(self, invoice_id: str) -> dict | None:
        for arr in self.records("revenueArrangement").values():
            if arr["source"] == invoice_id:
                return arr
        return None

    def create_arrangement(self, invoice_id: str) -> dict | None:
        with self.store.lock:
            inv = self.records("invoice").get(invoice_id)
            if inv is None or self.arrangement_for(invoice_id):
                return None
            so = self.records("salesOrder").get(inv.get("createdFrom"), {})
            lines = inv["items"]
            weights = []
            for ln in lines:
                item = self.item_record(ln["item"])
                ssp = Decimal(str(ln.get("custcol_ssp", item["custitem_ssp"])))
                weights.append(money(ssp * ln["quantity"]))
            price = money(sum((ln["amount"] for ln in lines), ZERO))
            shares = allocate(price, weights)
            arr = {"id": self.next_id("transaction"), "recordType": "revenueArrangement",
                   "tranId": self.doc_number("ARR"), "source": inv["id"], "salesOrder": so.get("id"),
                   "entity": inv["entity"], "tranDate": inv["tranDate"], "transactionPrice": price,
                   "elements": []}
            self.stamp(arr, created=True)
            self.register("revenueArrangement", arr)
            for ln, ssp_total, share in zip(lines, weights, shares):
                self._create_element(arr, inv, so, ln, ssp_total, share)
            for cm_id in inv.get("credits", []):
                self.replan(arr, self.records("creditMemo")[cm_id])
            return arr

    def _create_element(self, arr: dict, inv: dict, so: dict, ln: dict, ssp: Decimal, share: Decimal) -> None:
        item = self.item_record(ln["item"])
        rule = ln.get("revenueRecognitionRule") or item["revenueRecognitionRule"]
        if rule not in REV_RULES:
            rule = item["revenueRecognitionRule"]
        _, method, trigger = REV_RULES[rule]
        start = parse_date(ln["revRecStartDate"], "revRecStartDate") if ln.get("revRecStartDate") else inv["tranDate"]
        if method == "point_in_time" and trigger == "delivery" and not ln.get("revRecStartDate"):
            ships = [self.records("itemFulfillment")[f]["tranDate"] for f in so.get("fulfillments", [])]
            start = min(ships) if ships else inv["tranDate"]
        term = item.get("termMonths") or 12
        end = parse_date(ln["revRecEndDate"], "revRecEndDate") if ln.get("revRecEndDate") else \
            (start if method == "point_in_time" else add_months(start, term) - timedelta(days=1))
        el = {"id": self.next_id("revenue"), "recordType": "revenueElement", "revenueArrangement": arr["id"],
              "source": inv["id"], "sourceLine": ln["line"], "item": ln["item"], "quantity": ln["quantity"],
              "salesAmount": ln["amount"], "fairValue": ssp, "allocationAmount": share,
              "revenueRecognitionRule": rule, "method": method, "trigger": trigger,
              "revRecStartDate": start, "revRecEndDate": end, "entity": inv["entity"]}
        plan = {"id": self.next_id("plan"), "recordType": "revenuePlan", "createdFrom": el["id"],
                "revenuePlanType": "ACTUAL", "amount": share, "revRecStartDate": start, "revRecEndDate": end,
                "method": method, "lines": [], "version": 1, "revisions": [], "status": "ON_HOLD"}
        el["revenuePlan"] = plan["id"]
        if trigger == "go_live":
            live = so.get("custbody_go_live_date")
            if live:
                self._release(el, plan, parse_date(live, "custbody_go_live_date"))
        else:
            self._set_lines(plan, schedule(method, share, start, end))
        for rec in (el, plan):
            self.stamp(rec, created=True)
        self.register("revenueElement", el)
        self.register("revenuePlan", plan)
        arr["elements"].append(el["id"])

    def _release(self, el: dict, plan: dict, when: date) -> None:
        el["revRecStartDate"] = el["revRecEndDate"] = plan["revRecStartDate"] = plan["revRecEndDate"] = when
        el["deliveredDate"] = when
        self._set_lines(plan, [(period_of(when), plan["amount"])])

    def first_open(self, period: str) -> str:
        while self.store.data["periods"].get(period, {}).get("closed"):
            period = next_period(period)
        return period

    def _set_lines(self, plan: dict, sched: list[tuple[str, Decimal]], kind: str = "plan") -> None:
        for period, amount in sched:
            period = self.first_open(period)
            same = [ln for ln in plan["lines"] if ln["period"] == period and not ln["recognized"]
                    and ln["kind"] == kind]
            if same:
                same[0]["amount"] += amount
                continue
            plan["lines"].append({"id": f"{plan['id']}-{len(plan['lines']) + 1}", "period": period,
                                  "amount": amount, "recognized": False, "journalEntry": None,
                                  "dateExecuted": None, "kind": kind})
        plan["status"] = "IN_PROGRESS" if plan["lines"] else "ON_HOLD"
        self.stamp(plan)

    def go_live(self, so: dict, when: date) -> list[str]:
        """Release go-live (implementation) elements of the order's arrangements into ``when``'s period."""
        released = []
        with self.store.lock:
            for inv_id in so.get("invoices", []):
                arr = self.arrangement_for(inv_id)
                for el_id in (arr or {}).get("elements", []):
                    el = self.records("revenueElement")[el_id]
                    plan = self.records("revenuePlan")[el["revenuePlan"]]
                    if el["trigger"] == "go_live" and not plan["lines"]:
                        self._release(el, plan, when)
                        self.stamp(el)
                        released.append(el_id)
        return released

    # ---- credit memo re-plan -----------------------------------------------------------
    def on_credit(self, inv: dict, cm: dict) -> None:
        arr = self.arrangement_for(inv["id"])
        if arr is not None:           # else the delayed creation applies the credit itself
            self.replan(arr, cm)

    def replan(self, arr: dict, cm: dict) -> None:
        els = [self.records("revenueElement")[e] for e in arr["elements"]]
        new_price = arr["transactionPrice"] - cm["subtotal"]
        shares = allocate(new_price, [el["fairValue"] for el in els])
        arr["transactionPrice"] = new_price
        arr.setdefault("creditMemos", []).append(cm["id"])
        self.stamp(arr)
        catch_period = self.first_open(period_of(cm["tranDate"]))
        for el, share in zip(els, shares):
            plan = self.records("revenuePlan")[el["revenuePlan"]]
            before = plan["amount"]
            el["allocationAmount"], plan["amount"] = share, share
            plan["version"] += 1
            plan["revisions"].append({"at": self.now(), "creditMemo": cm["id"], "previousAmount": before,
                                      "newAmount": share})
            self.stamp(el)
            if not plan["lines"]:
                continue  # on hold: the whole (new) amount is released at go-live
            recognized = sum((ln["amount"] for ln in plan["lines"] if ln["recognized"]), ZERO)
            open_lines = [ln for ln in plan["lines"] if not ln["recognized"]]
            target = share - recognized
            if open_lines and target >= 0:
                weights = [ln["amount"] for ln in open_lines]
                if sum(weights, ZERO) <= 0:
                    weights = [Decimal(1)] * len(open_lines)
                for ln, amt in zip(open_lines, allocate(target, weights)):
                    ln["amount"] = amt
            else:
                for ln in open_lines:
                    ln["amount"] = ZERO
                if target != 0:
                    self._set_lines(plan, [(catch_period, target)], kind="catch_up")
            self.stamp(plan)

    # ---- period close ------------------------------------------------------------------
    def close_period(self, period: str) -> dict:
        try:
            start, end = period_bounds(period)
        except (ValueError, IndexError):
            raise ControlError(f"period must look like 2025-01, not {period!r}")
        if end >= self.today():
            raise ControlError(f"period {period} has not ended on the simulated clock (now {self.today()})")
        with self.store.lock:
            periods = self.store.data["periods"]
            if periods.get(period, {}).get("closed"):
                return {"period": period, "alreadyClosed": True, **self._period_view(period)}
            pending = {ln["period"] for plan in self.records("revenuePlan").values() for ln in plan["lines"]
                       if not ln["recognized"] and ln["period"] < period}
            closed = []
            for p in sorted(pending | {period}):
                if not periods.get(p, {}).get("closed"):
                    closed.append(self._close_one(p))
            return {"period": period, "closed": closed}

    def _close_one(self, period: str) -> dict:
        _, end = period_bounds(period)
        postings = []
        for plan in self.records("revenuePlan").values():
            for ln in plan["lines"]:
                if ln["period"] == period and not ln["recognized"]:
                    postings.append((plan, ln))
        je = None
        total = ZERO
        if postings:
            je = {"id": self.next_id("transaction"), "recordType": "journalEntry", "tranId": self.doc_number("JE"),
                  "tranDate": end, "postingPeriod": period, "isRevRecTransaction": True,
                  "memo": f"Revenue recognition {period_name(period)}", "lines": []}
            for plan, ln in postings:
                el = self.records("revenueElement")[plan["createdFrom"]]
                acct = REVENUE_ACCOUNT[el["trigger"] if el["method"] == "point_in_time" else None]
                amt = ln["amount"]
                total += amt
                dr, cr = (DEFERRED, acct) if amt >= 0 else (acct, DEFERRED)
                for account, debit in ((dr, True), (cr, False)):
                    je["lines"].append({"line": len(je["lines"]) + 1, "account": account[0],
                                        "accountName": account[1], "debit": abs(amt) if debit else ZERO,
                                        "credit": ZERO if debit else abs(amt), "entity": el["entity"],
                                        "revenueElement": el["id"], "memo": f"{el['id']} {ln['kind']}"})
                ln.update(recognized=True, journalEntry=je["id"], dateExecuted=self.now())
                plan["status"] = "COMPLETED" if all(x["recognized"] for x in plan["lines"]) else "IN_PROGRESS"
                self.stamp(plan)
            je["total"] = money(sum((x["debit"] for x in je["lines"]), ZERO))
            self.stamp(je, created=True)
            self.register("journalEntry", je)
        self.store.data["periods"][period] = {"closed": True, "closedAt": self.now(),
                                              "journalEntry": je["id"] if je else None, "recognized": total}
        return {"period": period, "journalEntry": je["id"] if je else None, "recognized": total,
                "lines": len(postings)}

    def _period_view(self, period: str) -> dict:
        p = self.store.data["periods"].get(period, {})
        return {"journalEntry": p.get("journalEntry"), "recognized": p.get("recognized", ZERO)}

    # ---- automatic close on the simulated clock ----------------------------------------
    def schedule_auto_close(self) -> None:
        job = getattr(self, "_auto_job", None)
        if job is not None:
            job.cancelled = True
            self._auto_job = None
        cfg = self.settings.get("auto_close")
        if not cfg:
            return
        lag = int(cfg.get("lagDays", 0))
        today = self.today()
        first = date(today.year, today.month, 1)
        due = datetime.combine(first, time(0, 0), tzinfo=timezone.utc) + timedelta(days=lag)
        if due <= self.now():
            first = add_months(first, 1)
            due = datetime.combine(first, time(0, 0), tzinfo=timezone.utc) + timedelta(days=lag)
        target = period_of(first - timedelta(days=1))

        def run():
            self._auto_job = None
            if not self.store.data["periods"].get(target, {}).get("closed"):
                self.close_period(target)
            self.schedule_auto_close()

        self._auto_job = self.sim.clock.schedule(due, run, name=f"close period {target}", owner=self.sim.name)
