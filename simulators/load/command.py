"""``o2c load``: options, the per-mode runs, the one-screen summary and the exit code (the SLO gate)."""
from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

from ..core.clock import parse_duration


def add_parser(sub, formatter_class=argparse.HelpFormatter) -> None:
    p = sub.add_parser("load", help="load-test the lifecycle with Locust (webhook and/or polling) and gate on SLOs",
                       formatter_class=formatter_class, description="Runs Locust headless against live fakes and the reference integration (or "
                                   "your own, --integration-url), then reconciles and writes the report.")
    p.add_argument("--users", type=int, default=12, help="concurrent Locust users (all personas)")
    p.add_argument("--spawn-rate", type=float, default=4.0, help="users started per second")
    p.add_argument("--run-time", default="60s", help="per sync mode, e.g. 45s, 2m")
    p.add_argument("--until-lifecycles", type=int, default=0, metavar="N",
                   help="end a mode's run early once N lifecycles are complete (the run time stays the cap; "
                        "0: run for the whole run time)")
    p.add_argument("--sync", default="both", choices=["webhook", "polling", "both"],
                   help="how the integration learns of payments; both runs webhook, then polling")
    p.add_argument("--poll-interval", type=float, default=300.0, help="simulated seconds between polls")
    p.add_argument("--clock-rate", type=float, default=60.0, help="simulated seconds per wall second")
    p.add_argument("--processes", type=int, default=1, help="Locust processes on this machine (workers)")
    p.add_argument("--faults", default="none", choices=["none", "latency", "flaky"],
                   help="on every fake: the vendors' latency profiles, or occasional transient errors and dropped webhooks")
    p.add_argument("--vendor-limits", default="off", choices=["off", "sandbox", "production"],
                   help="the vendors' documented rate and concurrency limits, answered in their own shape "
                        "(docs/load.md)")
    p.add_argument("--shape", choices=["ramp", "soak", "spike"], help="a LoadTestShape instead of a flat load")
    p.add_argument("--rep-pacing", type=float, default=1.0, help="seconds between one sales rep's orders")
    p.add_argument("--slo", default="load/slo.yaml", help="SLO file (YAML)")
    p.add_argument("--out", default="reports/load", help="report directory")
    p.add_argument("--integration-url", help="your own integration: use the fakes from `o2c up` and their public "
                                            "APIs only (the reference integration is not started)")
    p.set_defaults(fn=cmd_load)


def cmd_load(args: argparse.Namespace) -> int:
    from .report import evaluate, load_slo, mode_summary, write
    from .runner import run_mode
    from .systems import Systems
    args.run_time_s = int(parse_duration(args.run_time).total_seconds())
    if args.run_time_s < 1 or args.users < 1:
        raise SystemExit("--run-time and --users must be positive")
    if args.until_lifecycles < 0:
        raise SystemExit("--until-lifecycles must be 0 (off) or positive")
    slo = load_slo(args.slo)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    modes = ["webhook", "polling"] if args.sync == "both" else [args.sync]
    threading.Thread(target=_warm_imports, name="warm-imports", daemon=True).start()
    systems = Systems(args, out)   # started once; reset between modes
    stopping = None
    try:
        raw = {m: run_mode(args, m, out / m, systems) for m in modes}
        # the systems stop (a second or so) while the report is written
        stopping = threading.Thread(target=systems.stop, name="stop-systems")
        stopping.start()
    finally:
        if stopping is None:
            systems.stop()
    summaries = {m: mode_summary(r) for m, r in raw.items()}
    verdicts = evaluate(summaries, slo)
    meta = {"integration": f"your integration at {args.integration_url}" if args.integration_url
            else "the reference integration", "users": args.users, "processes": args.processes,
            "clock_rate": args.clock_rate, "poll_interval": args.poll_interval, "vendor_limits": args.vendor_limits,
            "faults": args.faults, "shape": args.shape, "run_time_s": args.run_time_s,
            "until_lifecycles": args.until_lifecycles}
    summary = write(out, summaries, verdicts, meta, raw)
    stopping.join()
    print(screen(summary, out))
    return 0 if summary["ok"] else 1


def _warm_imports() -> None:
    """What the report and the reconciliation import (matplotlib takes most of a second), loaded while
    the first mode's Locust runs and this process only waits for it, instead of after the run."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    from .. import reconcile  # noqa: F401


def screen(summary: dict, out: Path) -> str:
    lines = ["", "Load test summary (timings in simulated seconds; wall in brackets)"]
    for mode, m in summary["modes"].items():
        lines.append(f"  {mode:<8} lifecycles {m['lifecycles_completed']} ({m['lifecycles_per_s']}/s)  false dunning "
                     f"{m['false_dunning']}  unfinished {m['unfinished']}  duplicates {m['duplicates']}  "
                     f"reconciled {'yes' if m['reconciled'] else 'NO ' + json.dumps(m['failed_checks'])}")
        for kind, t in m["e2e"].items():
            lines.append(f"    {kind:<26} n={t['count']:<5} p50 {t['p50_s']:>8}  p95 {t['p95_s']:>8}  p99 "
                         f"{t['p99_s']:>8}  max {t['max_s']:>8}  [p95 {t['wall']['p95_s']} s]")
        c = m["cpu"]
        lines.append(f"    CPU: harness {c['harness_s']} s ({c['harness_ms_per_lifecycle']} ms/lifecycle), "
                     f"load generator {c['load_generator_s']} s")
    failed = [s for s in summary["slo"] if not s["ok"]]
    for s in failed:
        lines.append(f"  SLO FAILED: {s['name']} = {s['value']} (limit {s['limit']})")
    lines.append(f"  {'PASSED' if summary['ok'] else 'FAILED'}: {len(summary['slo']) - len(failed)}/"
                 f"{len(summary['slo'])} limits met.  Report: {out}/index.html, {out}/summary.json")
    return "\n".join(lines)
