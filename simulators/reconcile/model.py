"""The report: checks, their failures (each one lost/altered or unfinished), and where to read from."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from ..core.jsonutil import money
from ..clients import Connections

LOST = "lost/altered"      # the books are wrong
UNFINISHED = "unfinished"  # the books are not finished: the integration still has (or gave up) work for it


def dec(v: Any) -> Decimal:
    return money(str(v if v not in (None, "") else 0))


def cents(d: Decimal) -> int:
    return int((d * 100).to_integral_value())


def ts(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def day(value: Any) -> date | None:
    """A date from Salesforce (``2026-01-05``), the ERP's SuiteQL (``1/5/2026``, the account's short
    date format) or a record (``2026-01-05T00:00:00Z``)."""
    if value in (None, ""):
        return None
    text = str(value)
    if "/" in text:
        m, d, y = (int(p) for p in text.split()[0].split("/"))
        return date(y, m, d)
    return date.fromisoformat(text[:10])


@dataclass
class Check:
    name: str
    description: str
    failures: list[str] = field(default_factory=list)
    checked: int = 0
    sources: str = ""
    # parallel to ``failures``: the order key each failure concerns (None: no single order) and,
    # once the report knows the integration's unfinished work, whether it is lost/altered or unfinished
    orders: list[str | None] = field(default_factory=list, repr=False)
    statuses: list[str] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str, order: str | None = None, status: str = LOST) -> None:
        self.failures.append(message)
        self.orders.append(order)
        self.statuses.append(status)

    def details(self) -> list[dict[str, Any]]:
        return [{"message": m, "order": o, "status": s} for m, o, s in zip(self.failures, self.orders, self.statuses)]


@dataclass
class Report:
    system_of_record: str
    checks: list[Check]
    counts: dict[str, int]
    false_dunning: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def lost(self) -> int:
        return sum(s == LOST for c in self.checks for s in c.statuses)

    @property
    def unfinished(self) -> int:
        return sum(s == UNFINISHED for c in self.checks for s in c.statuses)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "system_of_record": self.system_of_record, "counts": self.counts,
                "verdict": self.verdict(),
                "false_dunning": {"count": len(self.false_dunning), "emails": self.false_dunning},
                "checks": [{"name": c.name, "ok": c.ok, "checked": c.checked, "description": c.description,
                            "sources": c.sources, "failures": c.failures, "details": c.details()}
                           for c in self.checks]}

    def verdict(self) -> str:
        if self.ok:
            return "BOOKS RECONCILE"
        return (f"BOOKS DO NOT RECONCILE: {self.lost} failure(s) lost or altered, "
                f"{self.unfinished} unfinished (work the integration still has or gave up)")

    def table(self) -> str:
        lines = [f"Reconciliation (system of record: {self.system_of_record})",
                 "  " + ", ".join(f"{k}={v}" for k, v in self.counts.items()),
                 f"  {'check':<34}{'checked':>8}  result"]
        for c in self.checks:
            lines.append(f"  {c.name:<34}{c.checked:>8}  {'ok' if c.ok else 'FAILED (' + str(len(c.failures)) + ')'}")
            shown = c.details()[:10]
            lines += [f"      - {'[unfinished] ' if d['status'] == UNFINISHED else ''}{d['message']}" for d in shown]
            if len(c.failures) > 10:
                lines.append(f"      … {len(c.failures) - 10} more")
        lines.append(f"  false dunning (emails after the customer had paid): {len(self.false_dunning)}")
        lines.append("  " + self.verdict())
        return "\n".join(lines)


@dataclass
class Endpoints:
    salesforce: str
    stripe: str
    avalara: str
    erp: str
    ca_bundle: str | None = None
    system_of_record: str = "erp"
    # the reference integration's control plane (``/_integration/...``): when given, its pending and
    # dead-lettered work is reported as "work unfinished"; a user's own integration has none
    integration: str | None = None
    control_token: str | None = None   # sent as X-Sim-Token (live runs); in-process there is none

    @classmethod
    def for_harness(cls, h, system_of_record: str = "erp") -> "Endpoints":
        ca = str(h.ca_path) if getattr(h, "ca_path", None) else None
        integration = h.url("integration") if "integration" in getattr(h, "names", []) else None
        return cls(h.url("salesforce"), h.url("stripe"), h.url("avalara"), h.url("erp"), ca, system_of_record,
                   integration, getattr(h, "control_token", None))

    def config(self) -> Connections:
        return Connections(salesforce_url=self.salesforce, stripe_url=self.stripe, avalara_url=self.avalara,
                      erp_url=self.erp, ca_bundle=self.ca_bundle, stripe_key="sk_test_o2c_reconcile")
