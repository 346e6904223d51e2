"""Benchmark (not a test): SuiteQL over a large ERP, the engine called in-process (no HTTP).

Fills the ERP's state through its own business methods (customers, sales orders, invoices: half
the transactions each), then times three queries: a filter by id, a join, a GROUP BY. Reports the
first query after a write (it rebuilds the tables it reads) and the median of repeated queries with
no write in between. ``--old REV`` also times the engine of an earlier revision (its engine.py and
grammar.lark read from git) on the same state, side by side in the same run.

``--streaming N`` times instead what the load suite's watcher meets: N rounds of one write (a sales
order, or its invoice, or a payment applied to it) followed by the watcher's batched query (up to 50
invoices by id), over an ERP of ``--records`` transactions; it prints the median and mean query time
and how many tables were built and records' rows replaced.

    .venv/bin/python -m benchmarks.suiteql_bench --records 100000 [--old d8af789] [--old-join-records 2000]
    .venv/bin/python -m benchmarks.suiteql_bench --records 1000 --streaming 300
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from simulators.erp.app import create_app
from simulators.erp.suiteql import run_query
from simulators.erp.suiteql.mirror import mirror_of
from simulators.erp.suiteql.tables import TYPE_CODES

QUERIES = {
    "filter by id": "SELECT id, tranid, foreigntotal FROM transaction WHERE id = {mid}",
    "join": "SELECT t.tranid, c.companyname FROM transaction t JOIN customer c ON c.id = t.entity WHERE t.id = {mid}",
    "group by": "SELECT entity, COUNT(*) AS n, SUM(foreigntotal) AS total FROM transaction WHERE type = 'CustInvc' "
                "GROUP BY entity HAVING SUM(foreigntotal) > 0 ORDER BY total DESC FETCH FIRST 10 ROWS ONLY",
}


def fill(records: int, customers: int = 1000):
    app = create_app()
    state = app.extensions["erp_state"]
    for i in range(customers):
        state.create_customer({"companyName": f"Customer {i}", "externalId": f"C{i}"})
    for i in range(records // 2):
        so = state.create_sales_order({"entity": {"externalId": f"C{i % customers}"}, "externalId": f"SO{i}",
                                       "orderStatus": {"id": "B"},
                                       "item": {"items": [{"item": {"externalId": "HW-ROUTER"}, "quantity": 1,
                                                           "rate": f"{100 + i % 997}.{i % 100:02d}",
                                                           "custcol_ava_taxamount": 0}]}})
        state.bill(so["id"], {})
    return state


def load_old(rev: str):
    tmp = Path(tempfile.mkdtemp(prefix="suiteql-old-"))
    for name in ("engine.py", "grammar.lark"):
        text = subprocess.run(["git", "show", f"{rev}:simulators/erp/suiteql/{name}"], check=True,
                              capture_output=True, text=True).stdout
        (tmp / name).write_text(text)
    spec = importlib.util.spec_from_file_location("simulators.erp.suiteql.old_engine", tmp / "engine.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.run_query


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    try:
        out = fn(*args)
    except Exception as exc:       # the old engine refuses GROUP BY: report it
        out = exc
    return (time.perf_counter() - t0) * 1000, out


def bench(state, run, label: str, repeat: int) -> None:
    mid = next(iter(state.records("invoice")))
    for name, q in QUERIES.items():
        sql = q.format(mid=mid)
        with state.store.lock:      # a write-equivalent: the next query rebuilds what it reads
            pass
        first, out = timed(run, state, sql, 1000, 0)
        if isinstance(out, Exception):
            print(f"{label:>6} | {name:<12} | refused: {str(out)[:70]}")
            continue
        warm = [timed(run, state, sql, 1000, 0)[0] for _ in range(repeat)]
        print(f"{label:>6} | {name:<12} | after a write {first:9.1f} ms | unchanged, median {statistics.median(warm):9.2f} ms "
              f"| rows {out[1]}")


def streaming(state, rounds: int) -> None:
    """One write, then the watcher's query, ``rounds`` times; only the queries are timed."""
    invoices = list(state.records("invoice"))
    times = []
    unpaid: list[str] = []
    for i in range(rounds):
        step = i % 3
        if step == 0:
            so = state.create_sales_order({"entity": {"externalId": f"C{i % 7}"}, "orderStatus": {"id": "B"},
                                           "item": {"items": [{"item": {"externalId": "HW-ROUTER"}, "quantity": 1,
                                                               "rate": "120.00", "custcol_ava_taxamount": 0}]}})
        elif step == 1:
            unpaid.append(state.bill(so["id"], {})["id"])
        else:
            inv = state.records("invoice")[unpaid.pop(0)]
            state.create_payment({"customer": {"id": inv["entity"]}, "payment": str(inv["total"]),
                                  "apply": {"items": [{"doc": {"id": inv["id"]}, "apply": True,
                                                       "amount": str(inv["total"])}]}})
        watched = (invoices[-40:] + unpaid)[-50:]
        q = ("SELECT id, amountremaining, total FROM transaction WHERE type = 'CustInvc' AND id IN ("
             + ", ".join(watched) + ")")
        ms, out = timed(run_query, state, q, 1000, 0)
        if isinstance(out, Exception):
            raise out
        times.append(ms)
    m = mirror_of(state)
    n = sum(len(state.records(t)) for t in TYPE_CODES)
    print(f"streaming: {rounds} rounds of one write then the watcher's query over "
          f"{n} transactions at the end: query median {statistics.median(times):.2f} ms, "
          f"mean {statistics.mean(times):.2f} ms; tables built {m.rebuilds}, "
          f"records' rows replaced {getattr(m, 'updates', 0)}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--old", help="a git revision whose engine to time side by side")
    p.add_argument("--old-join-records", type=int, default=2000,
                   help="the old engine joins by nested loops: time its join on a smaller ERP")
    p.add_argument("--streaming", type=int, default=0, help="rounds of one write then the watcher's query")
    args = p.parse_args()
    t0 = time.perf_counter()
    state = fill(args.records, customers=min(1000, max(7, args.records // 10)))
    print(f"filled {args.records} transactions in {time.perf_counter() - t0:.1f} s")
    if args.streaming:
        return streaming(state, args.streaming)
    bench(state, run_query, "new", args.repeat)
    print(f"tables built: {mirror_of(state).rebuilds}")
    if args.old:
        old = load_old(args.old)
        QUERIES_JOIN = QUERIES.pop("join")
        bench(state, old, "old", 1)
        small = fill(args.old_join_records)
        QUERIES.clear()
        QUERIES["join"] = QUERIES_JOIN
        print(f"old engine's join on {args.old_join_records} transactions (new engine on the same for comparison):")
        bench(small, old, "old", 1)
        bench(small, run_query, "new", args.repeat)


if __name__ == "__main__":
    main()
