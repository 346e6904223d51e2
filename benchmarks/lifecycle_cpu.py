"""CPU per complete lifecycle, per process, and complete lifecycles per second (bounded; stops by itself).

Starts the four fakes and the reference integration live (scaled clock), then drives N complete
lifecycles: order created and activated in Salesforce -> invoice mirrored with its payable Stripe
invoice -> paid at Stripe -> Paid in Salesforce and the customer payment applied in the ERP. Prints
each process's CPU seconds (psutil, user + system, on the server pids) per complete lifecycle, the
driver's own CPU, the wall time and lifecycles/s.

    .venv/bin/python -m benchmarks.lifecycle_cpu [--orders 200] [--concurrency 8] [--sync webhook|polling]

The driver is this process: ``--concurrency`` threads create and activate orders (simple-salesforce),
a pool pays invoices once they are payable, and one watcher sees every pending lifecycle with one
batched SOQL and one batched SuiteQL query per pass (simulators.load.timings.Observer, the load
suite's own watcher), so the watching costs the same whatever the number pending. Its queries are
part of the Salesforce and ERP figures, as they are under Locust, and their cost grows with the wall
time, not with the lifecycles. So the watcher's queries are recorded, and replayed afterwards at the
same pace against the same fakes with nothing else running: ``watch_alone_ms_per_lifecycle`` is the
fakes' CPU over that replay (their idle background included), ``net_ms_per_lifecycle`` the run's
figure with it subtracted. ``requests_per_lifecycle`` counts each fake's requests (its journal's
total) per complete lifecycle, the watcher's own apart (``watcher_requests_per_lifecycle``).

``--profile DIR`` samples every server with py-spy (``pip install py-spy``; not a dependency of the
project) and writes one collapsed-stack file per process there (``--format raw``; ``--gil``: the samples are
the thread holding the interpreter, so where the CPU goes, not where threads wait).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import requests
from simple_salesforce import Salesforce

from simulators.harness import LiveHarness
from simulators.load.runner import FAKES, control
from simulators.load.session import observer_conns
from simulators.load.timings import Observer, SimTime, Tracker

CUSTOMERS = ["ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC", "LONESTAR-AUSTIN", "ROSE-PORTLAND",
             "CASCADIA-VANCOUVER"]
CATALOG = [("HW-ROUTER", 2), ("FREIGHT", 1), ("SAAS-PLATFORM-12", 1), ("SVC-IMPL", 1)]


def _salesforce(url: str, ca: str) -> Salesforce:
    s = requests.Session()
    s.verify, s.trust_env = ca, False
    resp = s.post(url + "/services/oauth2/token", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": "integration@o2c.test", "password": "o2c-password" + "O2CTOKEN"}, timeout=30)
    resp.raise_for_status()
    token = resp.json()
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=s)


class Recording:
    """The watcher's two connections, recording every query sent (the pass, the fake, the text)."""

    def __init__(self, sf, erp):
        self.sf, self.erp = sf, erp
        self.log: list[tuple[int, str, str]] = []
        self.passes = 0

    def query(self, q: str):
        self.log.append((self.passes, "salesforce", q))
        return self.sf.query(q)

    def suiteql(self, q: str):
        self.log.append((self.passes, "erp", q))
        return self.erp.suiteql(q)


class Driver:
    def __init__(self, h: LiveHarness, orders: int, concurrency: int, time_cap: float):
        self.h, self.orders, self.concurrency, self.time_cap = h, orders, concurrency, time_cap
        self.ca = str(h.ca_path)
        anchor = control(h, "stripe", "GET", "/_sim/clock")
        self.clock = SimTime(anchor)
        self.tracker = Tracker(time_cap)
        self.lock = threading.Lock()
        self.local = threading.local()
        self.errors: list[str] = []
        self.done = threading.Event()
        self.watching: Recording | None = None

    def sf(self) -> Salesforce:
        if not hasattr(self.local, "sf"):
            self.local.sf = _salesforce(self.h.url("salesforce"), self.ca)
        return self.local.sf

    def stripe(self) -> requests.Session:
        if not hasattr(self.local, "stripe"):
            s = requests.Session()
            s.trust_env = False
            s.headers["Authorization"] = "Bearer sk_test_o2c_bench"
            self.local.stripe = s
        return self.local.stripe

    def sell(self, i: int, pricebook: dict[str, Any], accounts: list[str]) -> None:
        sf = self.sf()
        lines = [CATALOG[(i + k) % len(CATALOG)] for k in range(1 + i % 2)]
        key = f"BENCH-{os.getpid()}-{i}"
        first = pricebook[lines[0][0]]
        order = sf.Order.create({"AccountId": accounts[i % len(accounts)], "Status": "Draft",
                                 "Pricebook2Id": first["Pricebook2Id"], "Order_Key__c": key,
                                 "EffectiveDate": self.clock.iso(self.clock.now())[:10]})
        for sku, qty in lines:
            sf.OrderItem.create({"OrderId": order["id"], "PricebookEntryId": pricebook[sku]["Id"], "Quantity": qty,
                                 "UnitPrice": pricebook[sku]["UnitPrice"]})
        sf.Order.update(order["id"], {"Status": "Activated"})
        now = time.time()
        with self.lock:
            self.tracker.start("order_to_invoice_visible", key, now, self.clock.at(now))

    def pay(self, rec: dict[str, Any]) -> None:
        resp = self.stripe().post(f"{self.h.url('stripe')}/v1/invoices/{rec['stripe_invoice']}/pay",
                                  data={"payment_method": "pm_card_visa"}, timeout=60)
        body = resp.json()
        now = time.time()
        if resp.status_code != 200 or body.get("status") != "paid":
            with self.lock:
                self.errors.append(f"pay {rec['key']}: {resp.status_code} {resp.text[:200]}")
            return
        with self.lock:
            for kind in ("payment_to_paid_visible", "payment_to_erp_applied"):
                self.tracker.start(kind, rec["key"], now, float(body["status_transitions"]["paid_at"]),
                                   erp_invoice=rec.get("erp_invoice"))

    def watch(self, payer: ThreadPoolExecutor) -> None:
        try:
            self._watch(payer)
        except Exception as exc:      # a broken watcher ends the run at once (not at the time cap)
            self.errors.append(f"watcher: {exc!r}")
            self.done.set()
            raise

    def _watch(self, payer: ThreadPoolExecutor) -> None:
        cfg = {"urls": {n: self.h.url(n) for n in FAKES}, "ca": self.ca}
        self.watching = watching = Recording(*observer_conns(cfg))
        observer = Observer(watching, watching)
        pause = threading.Event()
        while not self.done.is_set():
            watching.passes += 1
            with self.lock:
                snapshot = Tracker(self.time_cap)
                snapshot.pending = dict(self.tracker.pending)
            finished = observer.poll(snapshot, self.clock)
            with self.lock:
                for rec in finished:
                    self.tracker.pending.pop((rec["kind"], rec["key"]), None)
                    self.tracker.done.append(rec)
                    if rec["kind"] != "order_to_invoice_visible":
                        self.tracker.completed_payments.setdefault(rec["key"], set()).add(rec["kind"])
                if self.tracker.lifecycles_completed >= self.orders:
                    self.done.set()
            for rec in finished:
                if rec["kind"] == "order_to_invoice_visible":
                    payer.submit(self.pay, rec)
            pause.wait(0.1)

    def run(self) -> float:
        sf = self.sf()
        rows = sf.query_all("SELECT Id, UnitPrice, Pricebook2Id, Product2.ProductCode FROM PricebookEntry "
                            "WHERE Pricebook2.IsStandard = true")["records"]
        pricebook = {r["Product2"]["ProductCode"]: r for r in rows}
        accounts = [a["Id"] for a in sf.query_all("SELECT Id, Customer_Key__c FROM Account WHERE "
                                                  "Customer_Key__c != null")["records"]
                    if a["Customer_Key__c"] in CUSTOMERS]
        t0 = time.monotonic()
        with ThreadPoolExecutor(self.concurrency) as payer, ThreadPoolExecutor(self.concurrency) as seller:
            watcher = threading.Thread(target=self.watch, args=(payer,), daemon=True)
            watcher.start()
            for f in [seller.submit(self.sell, i, pricebook, accounts) for i in range(self.orders)]:
                f.result()
            self.done.wait(self.time_cap)
            self.done.set()
            watcher.join()
        return time.monotonic() - t0


def replay_watch(driver: Driver) -> float:
    """The watcher's recorded queries again, pass by pass at the same pace (0.1 s), nothing else running."""
    rec = driver.watching
    by_pass: dict[int, list[tuple[str, str]]] = {}
    for n, fake, q in rec.log:
        by_pass.setdefault(n, []).append((fake, q))
    pause = threading.Event()
    t0 = time.monotonic()
    for n in range(1, rec.passes + 1):
        for fake, q in by_pass.get(n, []):
            rec.sf.query(q) if fake == "salesforce" else rec.erp.suiteql(q)
        pause.wait(0.1)
    return time.monotonic() - t0


def journal_totals(h: LiveHarness) -> dict[str, int]:
    return {n: control(h, n, "GET", "/_sim/journal?limit=1")["total"] for n in FAKES}


def start_profiles(procs: dict[str, psutil.Process], out: Path) -> list[subprocess.Popen]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    out.mkdir(parents=True, exist_ok=True)
    # --gil: only the thread holding the GIL is sampled, so the stacks are where the CPU goes (an idle
    # worker waiting on a socket or a queue is left out); --nonblocking: the process is not paused to sample
    return [subprocess.Popen([spy, "record", "--pid", str(p.pid), "--format", "raw", "--rate", "250", "--gil",
                              "--nonblocking",
                              "-o", str(out / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, p in procs.items() if name != "driver"]


def cpu_of(procs: dict[str, psutil.Process]) -> dict[str, float]:
    out = {}
    for name, p in procs.items():
        t = p.cpu_times()
        out[name] = t.user + t.system
    return out


def measure(orders: int, concurrency: int, sync: str, rate: float, time_cap: float, workers: int | None,
            profile: Path | None = None) -> dict:
    from simulators.registry import free_port
    names = FAKES + ["integration"]
    settings: dict[str, Any] = {"payment_sync": sync, "poll_interval": 30.0}
    if workers is not None:
        settings["workers"] = workers
    with tempfile.TemporaryDirectory() as tmp:
        h = LiveHarness(FAKES, ports={n: free_port() for n in names}, run_dir=Path(tmp) / "run",
                        clock_mode="scaled", rate=rate, integration=settings)
        h.start()
        try:
            control(h, "integration", "POST", "/_integration/install")
            procs = {n: psutil.Process(p.pid) for n, p in h.procs.items()}
            procs["driver"] = psutil.Process()
            spies = start_profiles(procs, profile) if profile else []
            driver = Driver(h, orders, concurrency, time_cap)
            counted = journal_totals(h)
            before = cpu_of(procs)
            wall = driver.run()
            after = cpu_of(procs)
            counted = {n: v - counted[n] for n, v in journal_totals(h).items()}
            status = control(h, "integration", "GET", "/_integration/status")
            replay_wall = replay_watch(driver)
            alone = cpu_of(procs)
        finally:
            h.stop()
            for spy in spies if profile else []:
                spy.wait(30)
    done = driver.tracker.lifecycles_completed
    scale = 1000 / max(done, 1)
    per = {n: round((after[n] - before[n]) * scale, 1) for n in procs}
    watch = {n: round((alone[n] - after[n]) * scale, 1) for n in FAKES}
    watch_requests = {n: sum(1 for _, fake, _ in driver.watching.log if fake == n) for n in FAKES}
    return {"sync": sync, "orders": orders, "concurrency": concurrency, "clock_rate": rate,
            "lifecycles_completed": done, "wall_s": round(wall, 2),
            "lifecycles_per_s": round(done / wall, 2) if wall else 0.0,
            "cpu_ms_per_lifecycle": per,
            "harness_ms_per_lifecycle": round(sum(v for n, v in per.items() if n != "driver"), 1),
            "fakes_ms_per_lifecycle": round(sum(per[n] for n in FAKES), 1),
            "requests_per_lifecycle": {n: round(counted[n] / max(done, 1), 2) for n in FAKES},
            "watcher_requests_per_lifecycle": {n: round(watch_requests[n] / max(done, 1), 2) for n in FAKES},
            "watch_alone_ms_per_lifecycle": watch, "watch_replay_wall_s": round(replay_wall, 2),
            "net_ms_per_lifecycle": {n: round(per[n] - watch[n], 1) for n in FAKES},
            "fakes_net_ms_per_lifecycle": round(sum(per[n] - watch[n] for n in FAKES), 1),
            "integration_stats": status.get("stats"), "dead_letters": status.get("dead_letters"),
            "errors": driver.errors[:5], "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--sync", default="webhook", choices=["webhook", "polling"])
    p.add_argument("--clock-rate", type=float, default=60.0)
    p.add_argument("--time-cap", type=float, default=300.0, help="wall seconds before giving up on the rest")
    p.add_argument("--workers", type=int, default=None, help="the integration's worker threads (default: its own)")
    p.add_argument("--profile", type=Path, default=None, help="py-spy every server into this directory")
    a = p.parse_args(argv)
    print(json.dumps(measure(a.orders, a.concurrency, a.sync, a.clock_rate, a.time_cap, a.workers, a.profile),
                     indent=2))


if __name__ == "__main__":
    main()
