"""The load run's outputs: ``summary.json`` (the machine-readable verdict), the SLO gate, and
``index.html`` for a finance or integration lead, with plots (matplotlib)."""
from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any

import yaml

from .timings import TIMINGS, percentiles

PACKAGED_SLO = Path(__file__).with_name("slo.yaml")
LABELS = {"order_to_invoice_visible": "Order activated → invoice visible in Salesforce",
          "payment_to_paid_visible": "Payment succeeded at Stripe → invoice Paid in Salesforce",
          "payment_to_erp_applied": "Payment succeeded at Stripe → customer payment applied in the ERP"}
MINIMUMS = ("lifecycles_completed", "lifecycles_per_s")


def mode_summary(res: dict[str, Any]) -> dict[str, Any]:
    t, report = res["tracker"], res["report"]
    done = t.done
    last_end = max((d["end_wall"] for d in done if d["kind"] in ("payment_to_erp_applied",)), default=None)
    # the run time, or the Locust run's own wall time when it ended early (--until-lifecycles)
    run_s = min(float(res["config"]["run_time_s"]), float(res.get("wall_s") or res["config"]["run_time_s"]))
    completed = t.lifecycles_completed
    e2e, wall = {}, {}
    for kind in TIMINGS:
        e2e[kind] = percentiles([d["sim_s"] for d in done if d["kind"] == kind])
        e2e[kind]["wall"] = percentiles([d["wall_s"] for d in done if d["kind"] == kind])
        e2e[kind]["unfinished"] = sum(1 for u in t.unfinished if u["kind"] == kind)
    checks = report.to_json()["checks"]
    dup_failures = sum(len(c["failures"]) for c in checks if c["name"] == "no payment applied twice")
    dup_failures += sum(1 for c in checks if c["name"] == "one sales order and one invoice"
                        for f in c["failures"] if "duplicate" in f or "mirrors" in f)
    return {
        "lifecycles_completed": completed,
        "lifecycles_per_s": round(completed / run_s, 3) if run_s else 0.0,
        "e2e": e2e,
        "false_dunning": len(report.false_dunning),
        "unfinished": len(t.unfinished),
        "reconciled": report.ok,
        "duplicates": len(t.duplicates) + dup_failures,
        "orders_activated": t.orders_activated,
        "payments": t.payments,
        "failed_checks": [c["name"] for c in checks if not c["ok"]],
        "reconciliation_counts": report.counts,
        "cpu": {"harness_s": round(res["harness_cpu_s"], 2), "load_generator_s": round(res["generator_cpu_s"], 2),
                "harness_ms_per_lifecycle": round(1000 * res["harness_cpu_s"] / completed, 1) if completed else None,
                "wall_s": round(res["wall_s"], 1)},
        "vendor_limit_refusals": res["limits_refused"],
        "integration_backlog_at_reconcile": res.get("integration_backlog", 0),
        "locust_exit_code": res["locust_exit"],
        "time": {"clock_rate": res["config"]["anchor"]["rate"], "run_time_wall_s": run_s,
                 "run_time_simulated_s": round(run_s * float(res["config"]["anchor"]["rate"]), 1),
                 "last_payment_applied_wall": last_end},
    }


def load_slo(path: str | None) -> dict[str, Any]:
    p = Path(path) if path else None
    if p is None or not p.exists():
        if path and Path(path) != Path("load/slo.yaml"):
            raise SystemExit(f"SLO file not found: {path}")
        p = PACKAGED_SLO
    data = yaml.safe_load(p.read_text()) or {}
    if not isinstance(data, dict):
        raise SystemExit(f"{p}: the SLO file maps a sync mode to its limits")
    return data


def evaluate(modes: dict[str, dict[str, Any]], slo: dict[str, Any]) -> list[dict[str, Any]]:
    """One verdict per limit. Timings take ``{p50_s|p95_s|p99_s|max_s: limit}`` (simulated seconds;
    ``wall_p95_s`` etc. for wall seconds); counts are maxima; lifecycles_* are minima; a timing
    limit with no samples fails. Reconciliation is always gated."""
    out = []
    for mode, m in modes.items():
        for key, limit in (slo.get(mode) or {}).items():
            if key in TIMINGS and isinstance(limit, dict):
                for stat, lim in limit.items():
                    src = m["e2e"][key]
                    if stat.startswith("wall_"):
                        src, stat_key = src["wall"], stat[5:]
                    else:
                        stat_key = stat
                    value = src.get(stat_key) if src["count"] else None
                    out.append({"name": f"{mode}.{key}.{stat}", "limit": lim, "value": value,
                                "ok": value is not None and value <= lim})
            elif key in m and not isinstance(m[key], (dict, list)):
                value = m[key]
                ok = value >= limit if key in MINIMUMS else value <= limit
                out.append({"name": f"{mode}.{key}", "limit": limit, "value": value, "ok": bool(ok)})
            else:
                out.append({"name": f"{mode}.{key}", "limit": limit, "value": None, "ok": False})
        out.append({"name": f"{mode}.reconciled", "limit": True, "value": m["reconciled"], "ok": bool(m["reconciled"])})
    return out


def write(out: Path, modes: dict[str, dict[str, Any]], slo: list[dict[str, Any]], meta: dict[str, Any],
          raw: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summary = {"modes": modes, "slo": slo, "ok": all(v["ok"] for v in slo), "run": meta}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    plots = _plots(out, modes, raw)
    (out / "index.html").write_text(_html(summary, plots))
    return summary


def _users_over_time(mode_dir: Path) -> list[tuple[float, int]]:
    path = mode_dir / "locust_stats_history.csv"
    if not path.exists():
        return []
    rows = []
    with path.open() as fh:
        for r in csv.DictReader(fh):
            if r.get("Name") == "Aggregated":
                rows.append((float(r["Timestamp"]), int(float(r["User Count"]))))
    return rows


def _plots(out: Path, modes: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = []
    # 1. webhook vs polling side by side: p50/p95/p99 per timing (simulated seconds)
    fig, axes = plt.subplots(1, len(TIMINGS), figsize=(13, 3.8))
    for ax, kind in zip(axes, TIMINGS):
        for i, (mode, m) in enumerate(modes.items()):
            vals = [m["e2e"][kind][k] for k in ("p50_s", "p95_s", "p99_s")]
            ax.bar([x + i * 0.38 for x in range(3)], vals, width=0.38, label=mode)
        ax.set_xticks([x + 0.19 for x in range(3)], ["p50", "p95", "p99"])
        ax.set_title(kind.replace("_", " "), fontsize=9)
        ax.set_ylabel("simulated seconds")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / "percentiles_by_mode.png", dpi=90)
    plt.close(fig)
    names.append("percentiles_by_mode.png")
    # 2. latency over time, and 3. latency versus users (payment -> Paid visible)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 3.8))
    for mode, res in raw.items():
        done = [d for d in res["tracker"].done if d["kind"] == "payment_to_paid_visible"]
        if not done:
            continue
        t0 = min(d["end_wall"] for d in res["tracker"].done)
        ax1.scatter([d["end_wall"] - t0 for d in done], [d["sim_s"] for d in done], s=6, label=mode)
        users = _users_over_time(Path(res["out"]))
        if users:
            def at(ts):
                best = users[0][1]
                for u_ts, n in users:
                    if u_ts <= ts:
                        best = n
                return best
            by_users: dict[int, list[float]] = {}
            for d in done:
                by_users.setdefault(at(d["end_wall"]), []).append(d["sim_s"])
            xs = sorted(by_users)
            ax2.plot(xs, [percentiles(by_users[x])["p95_s"] for x in xs], marker="o", label=f"{mode} p95")
    ax1.set_xlabel("wall seconds into the run")
    ax1.set_ylabel("payment → Paid visible (simulated s)")
    ax1.legend()
    ax2.set_xlabel("users")
    ax2.set_ylabel("p95 payment → Paid visible (simulated s)")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(out / "latency_over_time_and_users.png", dpi=90)
    plt.close(fig)
    names.append("latency_over_time_and_users.png")
    return names


def _html(summary: dict[str, Any], plots: list[str]) -> str:
    e = html.escape
    run = summary["run"]
    rows = []
    for mode, m in summary["modes"].items():
        rows.append(f"<h2>{e(mode)}</h2><p><b>{m['lifecycles_completed']}</b> order-to-cash lifecycles completed "
                    f"({m['lifecycles_per_s']}/s over {m['time']['run_time_wall_s']:g} wall s = "
                    f"{m['time']['run_time_simulated_s']:g} simulated s); {m['orders_activated']} orders activated; "
                    f"payments: {m['payments']}.<br>False dunning: <b>{m['false_dunning']}</b> · unfinished: "
                    f"<b>{m['unfinished']}</b> · duplicates: <b>{m['duplicates']}</b> · books reconcile: "
                    f"<b>{'yes' if m['reconciled'] else 'NO (' + ', '.join(m['failed_checks']) + ')'}</b></p>")
        rows.append("<table><tr><th>timing</th><th>count</th><th>p50</th><th>p95</th><th>p99</th><th>max</th>"
                    "<th>wall p50</th><th>wall p95</th><th>unfinished</th></tr>")
        for kind in TIMINGS:
            t = m["e2e"][kind]
            rows.append(f"<tr><td>{e(LABELS[kind])}</td><td>{t['count']}</td><td>{t['p50_s']}</td>"
                        f"<td>{t['p95_s']}</td><td>{t['p99_s']}</td><td>{t['max_s']}</td><td>{t['wall']['p50_s']}</td>"
                        f"<td>{t['wall']['p95_s']}</td><td>{t['unfinished']}</td></tr>")
        cpu = m["cpu"]
        rows.append(f"</table><p>Harness CPU: {cpu['harness_s']} s ({cpu['harness_ms_per_lifecycle']} ms per "
                    f"lifecycle); load generator CPU: {cpu['load_generator_s']} s. Vendor-limit refusals: "
                    f"{e(json.dumps(m['vendor_limit_refusals']))}. Locust's own report: "
                    f"<a href='{e(mode)}/locust.html'>{e(mode)}/locust.html</a>.</p>")
    slo = "".join(f"<tr class='{'ok' if s['ok'] else 'bad'}'><td>{e(s['name'])}</td><td>{e(str(s['limit']))}</td>"
                  f"<td>{e(str(s['value']))}</td><td>{'pass' if s['ok'] else 'FAIL'}</td></tr>" for s in summary["slo"])
    imgs = "".join(f"<p><img src='{e(p)}' alt='{e(p)}' style='max-width:100%'></p>" for p in plots)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>o2c load test</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}
.ok{{background:#e8f5e9}}.bad{{background:#ffebee}}</style></head><body>
<h1>Order-to-cash load test: {'PASSED' if summary['ok'] else 'FAILED'}</h1>
<p>{e(run.get('integration', ''))}; {run.get('users')} users, {e(str(run.get('processes')))} Locust process(es),
vendor limits {e(run.get('vendor_limits', 'off'))}, faults {e(run.get('faults', 'none'))}.
Time: the systems ran on a scaled clock, <b>{run.get('clock_rate')} simulated seconds per wall second</b>, so a
{run.get('poll_interval')} s poll happens every {round(float(run.get('poll_interval', 0)) / float(run.get('clock_rate', 1)), 2)}
wall seconds. Timings are in simulated seconds (what the business sees) unless marked wall.</p>
{''.join(rows)}<h2>Service levels</h2><table><tr><th>limit</th><th>at most / at least</th><th>measured</th>
<th>verdict</th></tr>{slo}</table>{imgs}</body></html>"""
