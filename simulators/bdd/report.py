"""The readable report of the Gherkin suite: a self-contained HTML page a finance person can open
(each scenario with its steps, tables, result and the reconciliation after it) and a JSON summary.
The hooks that feed it live in ``world.py``."""
from __future__ import annotations

import html
import json
import time as _perf  # perf_counter only: step durations for the report
from pathlib import Path
from typing import Any

from simulators.core.clock import wall_now


class Report:
    def __init__(self):
        self.scenarios: list[dict[str, Any]] = []
        self.by_node: dict[str, dict[str, Any]] = {}
        self.t0 = _perf.perf_counter()

    def begin(self, node, feature, scenario):
        rec = {"feature": feature.name, "feature_description": feature.description, "file": feature.rel_filename,
               "scenario": scenario.name, "tags": sorted(scenario.tags), "steps": [], "status": "running",
               "reconciliation": None, "started": _perf.perf_counter(), "error": None}
        self.by_node[node.nodeid] = rec
        self.scenarios.append(rec)
        rec["_last"] = _perf.perf_counter()

    def step(self, node, step, status, exc=None):
        rec = self.by_node.get(node.nodeid)
        if rec is None:
            return
        now = _perf.perf_counter()
        rec["steps"].append({"keyword": step.keyword, "text": step.name, "status": status,
                             "table": step.datatable.raw() if step.datatable else [],
                             "ms": round((now - rec["_last"]) * 1000)})
        rec["_last"] = now
        if exc is not None:
            rec["error"] = f"{type(exc).__name__}: {exc}"[:2000]

    def end(self, node, w):
        rec = self.by_node.get(node.nodeid)
        if rec is None:
            return
        rec["seconds"] = round(_perf.perf_counter() - rec["started"], 2)
        if w is not None and w.report is not None:
            rec["reconciliation"] = w.report.to_json()
            rec["reconciliation_table"] = w.report.table()
            rec["expect_broken"] = w.expect_broken
        rec["notes"] = list(w.notes) if w else []

    def outcome(self, item, report):
        nodeid = item.nodeid
        rec = self.by_node.get(nodeid)
        if rec is None and report.skipped and "_pytest_bdd_example" in getattr(item, "fixturenames", ()):
            feature, _, name = (getattr(item.function, "__doc__", "") or ": " + item.name).partition(": ")
            example = getattr(getattr(item, "callspec", None), "params", {}).get("_pytest_bdd_example") or {}
            for k, v in example.items():
                name = name.replace(f"<{k}>", str(v))
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            rec = {"feature": feature, "feature_description": "", "scenario": name, "tags": [], "steps": [],
                   "status": "skipped", "reconciliation": None, "started": 0, "error": reason, "seconds": 0}
            self.by_node[nodeid] = rec
            self.scenarios.append(rec)
            return
        if rec is None:
            return
        if report.when == "call":
            rec["status"] = report.outcome
            if report.failed and not rec["error"]:
                rec["error"] = str(report.longrepr)[-2000:]
        elif report.failed:
            rec["status"] = "failed"
            rec["error"] = (rec["error"] or "") + f"\n[{report.when}] " + str(report.longrepr)[-1500:]
        elif report.skipped and rec["status"] == "running":
            rec["status"] = "skipped"

    def write(self, path: Path) -> None:
        if not self.scenarios:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(self.scenarios, _perf.perf_counter() - self.t0))
        (path.parent / "features-summary.json").write_text(json.dumps(
            [{k: v for k, v in s.items() if not k.startswith("_") and k != "started"} for s in self.scenarios],
            indent=1, default=str))


def render_html(scenarios: list[dict[str, Any]], total_seconds: float) -> str:
    e = html.escape
    passed = sum(1 for s in scenarios if s["status"] == "passed")
    failed = sum(1 for s in scenarios if s["status"] == "failed")
    skipped = sum(1 for s in scenarios if s["status"] == "skipped")
    features: dict[str, list[dict[str, Any]]] = {}
    for s in scenarios:
        features.setdefault(s["feature"], []).append(s)
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Order-to-cash: scenario results</title>",
           "<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}"
           "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:2px solid #ddd}"
           ".sc{border:1px solid #ddd;border-radius:6px;margin:.8em 0;padding:.2em 1em}"
           ".passed>summary{color:#17692b}.failed>summary{color:#b00020}.skipped>summary{color:#777}"
           "summary{cursor:pointer;font-weight:600;padding:.4em 0}.st{margin:.15em 0}.kw{font-weight:700}"
           ".ok{color:#17692b}.bad{color:#b00020}table{border-collapse:collapse;margin:.3em 0 .3em 2em}"
           "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}pre{background:#f6f6f6;padding:.6em;"
           "white-space:pre-wrap}.tags{color:#666;font-weight:400;font-size:.85em}.desc{white-space:pre-line;color:#444}"
           ".totals span{margin-right:1.5em}</style></head><body>",
           "<h1>Order-to-cash: scenario results</h1>",
           f"<p class='totals'><span><b>{len(scenarios)}</b> scenarios</span><span class='ok'><b>{passed}</b> passed</span>"
           f"<span class='bad'><b>{failed}</b> failed</span><span><b>{skipped}</b> skipped</span>"
           f"<span>run took {total_seconds:.1f} s</span><span>generated {e(wall_now().strftime('%Y-%m-%d %H:%M UTC'))}</span></p>",
           "<p>Each scenario lists its steps in business language, whether each step passed, and the cross-system "
           "reconciliation run after it (Salesforce, ERP, AvaTax and Stripe read through their public APIs).</p>"]
    clean = sum(1 for s in scenarios if (s.get("reconciliation") or {}).get("ok"))
    caught = sum(1 for s in scenarios if s.get("expect_broken") and not (s.get("reconciliation") or {}).get("ok", True))
    false_dunning = sum((s.get("reconciliation") or {}).get("false_dunning", {}).get("count", 0) for s in scenarios)
    out.append(f"<p>Books reconciled after <b>{clean}</b> scenarios; <b>{caught}</b> scenario(s) broke the books on "
               f"purpose and reconciliation caught it; false dunning emails counted: <b>{false_dunning}</b>.</p>")
    out.append("<table style='margin-left:0'><tr><th style='text-align:left'>capability</th><th>scenarios</th>"
               "<th>passed</th><th>failed</th><th>skipped</th></tr>")
    for fname, items in features.items():
        cnt = lambda st: sum(1 for s in items if s["status"] == st)  # noqa: E731
        out.append(f"<tr><td style='text-align:left'>{e(fname)}</td><td>{len(items)}</td><td class='ok'>{cnt('passed')}"
                   f"</td><td class='bad'>{cnt('failed')}</td><td>{cnt('skipped')}</td></tr>")
    out.append("</table>")
    for fname, items in features.items():
        out.append(f"<h2>{e(fname)}</h2><p class='desc'>{e(items[0]['feature_description'] or '')}</p>")
        for s in items:
            status = s["status"]
            tags = " ".join("@" + t for t in s["tags"])
            out.append(f"<details class='sc {status}'{' open' if status == 'failed' else ''}><summary>"
                       f"{'✔' if status == 'passed' else '✘' if status == 'failed' else '–'} {e(s['scenario'])} "
                       f"<span class='tags'>{e(tags)} · {s.get('seconds', 0)} s</span></summary>")
            for st in s["steps"]:
                cls = "ok" if st["status"] == "passed" else "bad"
                out.append(f"<div class='st'><span class='{cls}'>{'✔' if cls == 'ok' else '✘'}</span> "
                           f"<span class='kw'>{e(st['keyword'])}</span> {e(st['text'])}</div>")
                if st["table"]:
                    rows = st["table"]
                    out.append("<table>" + "".join(
                        "<tr>" + "".join((f"<th>{e(str(c))}</th>" if i == 0 else f"<td>{e(str(c))}</td>") for c in r) + "</tr>"
                        for i, r in enumerate(rows)) + "</table>")
            if s.get("error"):
                out.append(f"<pre class='{'bad' if status == 'failed' else ''}'>{e(s['error'])}</pre>")
            if s.get("reconciliation_table"):
                label = "Reconciliation (this scenario breaks the books on purpose: " + e(s["expect_broken"]) + ")" \
                    if s.get("expect_broken") else "Reconciliation"
                out.append(f"<div><b>{label}</b><pre>{e(s['reconciliation_table'])}</pre></div>")
            for n in s.get("notes") or []:
                out.append(f"<div>Note: {e(n)}</div>")
            out.append("</details>")
    out.append("</body></html>")
    return "\n".join(out)
