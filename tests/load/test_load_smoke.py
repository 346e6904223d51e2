"""A short load smoke of ``o2c load``: Locust as a subprocess (its own multi-process mode) against
live fakes and the reference integration, both sync modes on systems started once, with one
impossible SLO: one run."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.live

TIMING_KEYS = {"count", "p50_s", "p95_s", "p99_s", "max_s"}


def o2c_load(tmp_path, *args: str) -> subprocess.CompletedProcess:
    # five users: on two Locust processes each gets a sales rep and a customer (Locust's weighted dispatch)
    cmd = [sys.executable, "-m", "simulators.cli", "--run-dir", str(tmp_path / "run"), "load", "--users", "5",
           "--spawn-rate", "50", "--rep-pacing", "0.5", "--run-time", "60s", "--until-lifecycles", "3",
           "--poll-interval", "60", "--out", str(tmp_path / "out"), *args]
    # each mode ends once 3 lifecycles are complete (seconds on a quiet machine), at the latest after 60 s
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def check_shape(summary: dict) -> None:
    assert set(summary) >= {"modes", "slo", "ok"} and isinstance(summary["ok"], bool)
    for mode, m in summary["modes"].items():
        assert mode in ("webhook", "polling")
        assert isinstance(m["lifecycles_completed"], int) and isinstance(m["lifecycles_per_s"], float)
        assert isinstance(m["false_dunning"], int) and isinstance(m["unfinished"], int)
        assert isinstance(m["reconciled"], bool)
        assert set(m["e2e"]) == {"order_to_invoice_visible", "payment_to_paid_visible", "payment_to_erp_applied"}
        for t in m["e2e"].values():
            assert set(t) >= TIMING_KEYS and isinstance(t["count"], int)
            assert all(isinstance(t[k], float) for k in TIMING_KEYS - {"count"})
    for s in summary["slo"]:
        assert set(s) == {"name", "limit", "value", "ok"} and isinstance(s["ok"], bool)


def test_both_sync_modes_on_two_locust_processes_reconcile_and_an_impossible_slo_fails_the_run(tmp_path):
    """One run of ``o2c load`` (both sync modes, Locust's own multi-process mode) checks the lot: the
    lifecycles complete and reconcile in each mode, both worker processes hand their timings over,
    and one impossible limit fails the run by name while the others pass."""
    slo = tmp_path / "slo.yaml"
    slo.write_text("webhook:\n  false_dunning: 0\n  duplicates: 0\n  unfinished: 1000\n"
                   "  payment_to_paid_visible: {p95_s: 0.000001}\npolling: {false_dunning: 0, duplicates: 0}\n")
    done = o2c_load(tmp_path, "--sync", "both", "--processes", "2", "--slo", str(slo))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "SLO FAILED: webhook.payment_to_paid_visible.p95_s" in done.stdout
    assert done.stdout.count("3 lifecycles complete: ending the run") == 2, done.stdout[-3000:]
    # the systems were started once, and reset for the second mode
    assert done.stdout.count("starting the fakes") == 1 and "== polling: resetting the fakes" in done.stdout
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    check_shape(summary)
    assert set(summary["modes"]) == {"webhook", "polling"} and summary["ok"] is False
    verdict = {s["name"]: s for s in summary["slo"]}
    assert verdict["webhook.payment_to_paid_visible.p95_s"]["ok"] is False
    assert [name for name, s in verdict.items() if not s["ok"]] == ["webhook.payment_to_paid_visible.p95_s"]
    for mode, m in summary["modes"].items():
        assert m["lifecycles_completed"] > 0, (mode, m)
        assert m["reconciled"] is True, (mode, m["failed_checks"])
        # each mode's books are its own: none of the other mode's activated orders (at least its 3 complete
        # lifecycles) are in them; one a rep activated while Locust stopped it, unrecorded, may be
        other = summary["modes"]["polling" if mode == "webhook" else "webhook"]
        in_books = m["reconciliation_counts"]["orders"]
        assert m["orders_activated"] <= in_books < m["orders_activated"] + other["lifecycles_completed"], (mode, m)
        paid = m["e2e"]["payment_to_paid_visible"]
        # every settled payment is either timed or counted unfinished: none is dropped
        assert paid["count"] + paid["unfinished"] == m["payments"]["full"] + m["payments"]["parts"]
        assert (out / mode / "locust.html").exists() and (out / mode / "locust_stats.csv").exists()
        rows = (out / mode / "locust_stats.csv").read_text()
        assert "E2E,order_to_invoice_visible" in rows and "SF POST /services/data/v59.0/sobjects/Order" in rows
        # both worker processes handed their timings over
        assert len(list((out / mode).glob("e2e-*.json"))) == 2
    # polling waits for the next poll (60 simulated s): its payment timing is slower than the webhook's
    assert summary["modes"]["polling"]["e2e"]["payment_to_paid_visible"]["p50_s"] > \
        summary["modes"]["webhook"]["e2e"]["payment_to_paid_visible"]["p50_s"]
    html = (out / "index.html").read_text()
    assert "Payment succeeded at Stripe" in html and "percentiles_by_mode.png" in html
    assert (out / "percentiles_by_mode.png").stat().st_size > 1000
