"""Webhook versus polling, measured on the simulated clock (``o2c experiment sync``).

N invoices fall due together; their customers pay at spread times during the 12 hours before
the first dunning run after the due date (06:00 UTC, when the "reminder" stage is reached). Each
mode runs the same orders, the same payment times and the same seed:

- ``webhook``: Stripe's webhook deliveries get a latency profile (lognormal, median 2 s) and 5 %
  of first attempts are dropped in transit (then retried on Stripe's schedule);
- ``polling`` every 1, 5, 15 and 60 minutes.

Measured per invoice: the payment time at the gateway (Stripe ``status_transitions.paid_at``)
and the time the Salesforce mirror turned Paid (its ``LastModifiedDate``, read through the API);
and per mode the number of dunning emails sent after the customer had already paid (the
reconciliation's false-dunning count). Deterministic under a seed: in-process, frozen clock.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from .harness import InProcessHarness
from .reconcile import _ts
from .scenario import Lifecycle

CUSTOMERS = ["ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC", "LONESTAR-AUSTIN", "ROSE-PORTLAND",
             "THAMES-LONDON", "CASCADIA-VANCOUVER"]
DEFAULT_MODES = [("webhook", None), ("polling", 60), ("polling", 300), ("polling", 900), ("polling", 3600)]
WEBHOOK_FAULTS = [
    {"operation": "webhook.deliver", "drop": True, "probability": 0.05},
    {"operation": "webhook.deliver", "latency": {"kind": "lognormal", "median_ms": 2000, "sigma": 0.8}},
]


@dataclass
class ModeResult:
    mode: str
    interval: int | None
    latencies: list[float] = field(default_factory=list)   # seconds, payment -> visible in Salesforce
    false_dunning: int = 0
    dunning_emails: int = 0
    not_visible: int = 0
    reconciled: bool = False

    @property
    def label(self) -> str:
        return "webhook" if self.mode == "webhook" else f"polling {self.interval // 60} min"

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies)
        if not xs:
            return float("nan")
        k = (len(xs) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)

    def summary(self) -> dict[str, Any]:
        return {"mode": self.label, "invoices": len(self.latencies) + self.not_visible,
                "p50_s": round(self.pct(0.5), 1), "p95_s": round(self.pct(0.95), 1),
                "p99_s": round(self.pct(0.99), 1), "max_s": round(max(self.latencies, default=float("nan")), 1),
                "false_dunning": self.false_dunning, "dunning_emails": self.dunning_emails,
                "not_visible": self.not_visible, "reconciled": self.reconciled}


def run_mode(mode: str, interval: int | None, invoices: int, seed: int) -> ModeResult:
    # Due on receipt: the invoices fall due the day they are issued, so the run covers days, not weeks.
    settings: dict[str, Any] = {"payment_sync": mode, "terms_days": 0}
    if interval:
        settings["poll_interval"] = interval
    result = ModeResult(mode, interval)
    with InProcessHarness(seed=seed, integration=settings) as h:
        o2c = Lifecycle(h)
        o2c.install_integration()
        keys = [o2c.place_order(CUSTOMERS[i % len(CUSTOMERS)], [("HW-ROUTER", 1 + i % 3)], key=f"EXP-{i:04d}")
                for i in range(invoices)]
        for key in keys:
            o2c.activate(key)
        h.advance("1h")
        due = datetime.fromisoformat(str(o2c.mirror(keys[0])["blng__DueDate__c"])).date()
        dunning_run = datetime.combine(due + timedelta(days=1), time(6, 0), tzinfo=timezone.utc)
        rng = random.Random(seed)
        pay_times = sorted(dunning_run - timedelta(seconds=rng.uniform(60, 12 * 3600)) for _ in keys)
        order = keys[:]
        rng.shuffle(order)
        if mode == "webhook":
            for rule in WEBHOOK_FAULTS:
                h.control("stripe").add_fault(**rule)
        for when, key in zip(pay_times, order):
            h.advance_to(when)
            o2c.pay(key)
        h.advance_to(dunning_run + timedelta(days=2))
        for key in keys:
            mirror = o2c.mirror(key)
            si = o2c.stripe_invoice(key)
            paid_at = _ts(si["status_transitions"]["paid_at"])
            if mirror["blng__PaymentStatus__c"] != "Paid":
                result.not_visible += 1
                continue
            result.latencies.append((_ts(mirror["LastModifiedDate"]) - paid_at).total_seconds())
        report = o2c.reconcile()
        result.false_dunning = len(report.false_dunning)
        result.dunning_emails = report.counts["dunning_emails"]
        result.reconciled = report.ok
    return result


def table(results: list[ModeResult]) -> str:
    head = f"{'mode':<16}{'p50 s':>8}{'p95 s':>9}{'p99 s':>9}{'max s':>9}{'false dunning':>15}{'emails':>8}{'books':>8}"
    rows = [head, "-" * len(head)]
    for r in results:
        s = r.summary()
        rows.append(f"{s['mode']:<16}{s['p50_s']:>8}{s['p95_s']:>9}{s['p99_s']:>9}{s['max_s']:>9}"
                    f"{s['false_dunning']:>15}{s['dunning_emails']:>8}{'ok' if s['reconciled'] else 'BROKEN':>8}")
    return "\n".join(rows)


def plot(results: list[ModeResult], out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in results:
        xs = sorted(max(x, 0.5) for x in r.latencies)
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        ax1.step(xs, ys, where="post", label=r.label)
    ax1.set_xscale("log")
    ax1.set_xlabel("payment -> Paid in Salesforce (simulated seconds, log)")
    ax1.set_ylabel("share of invoices")
    ax1.set_title("Time for a payment to become visible")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.bar([r.label for r in results], [r.false_dunning for r in results], color="#c0392b")
    ax2.set_title("Dunning emails sent after the customer paid")
    ax2.set_ylabel("emails")
    ax2.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "sync_experiment.png", out / "sync_experiment.svg"]
    for p in paths:
        fig.savefig(p, dpi=110)
    plt.close(fig)
    return paths


def run(invoices: int = 40, seed: int = 7, out: Path = Path("reports"),
        modes: list[tuple[str, int | None]] | None = None, draw: bool = True) -> list[ModeResult]:
    results = [run_mode(mode, interval, invoices, seed) for mode, interval in (modes or DEFAULT_MODES)]
    out.mkdir(parents=True, exist_ok=True)
    (out / "sync_experiment.json").write_text(json.dumps(
        {"invoices": invoices, "seed": seed, "results": [r.summary() for r in results],
         "latencies": {r.label: r.latencies for r in results}}, indent=2))
    if draw:
        plot(results, out)
    return results
