"""The order-to-cash load test: one persona per Locust user class, business timings as rows of their own.

Run by ``o2c load`` (which writes the run's settings to the JSON file named by ``O2C_LOAD_CONFIG``);
``locust -f load/locustfile.py`` also works against fakes started with ``o2c up`` (settings read
from ``.o2c/run.json`` then).

- ``SalesRep``: creates orders with lines and activates them in Salesforce (simple-salesforce).
- ``Customer``: pays invoices through the Stripe API: some cards decline first, some pay in two parts.
- ``FinanceUser``: reads the invoice mirrors, the ERP's open receivables and Stripe's paid invoices.
- ``O2CShape`` (when ``O2C_LOAD_SHAPE`` is ramp, soak or spike): a ``LoadTestShape``.

Business timings (see timings.py) are fired as rows with request type ``E2E`` (wall milliseconds) and
``E2E sim`` (simulated milliseconds): they are not HTTP requests, so read the HTTP rows' requests/s
without them (Locust's "Aggregated" row sums everything).
"""
from __future__ import annotations

import locust  # noqa: F401  -- first: gevent's monkey-patching must precede requests/urllib3
import locust.stats
from locust import LoadTestShape, User, between, constant_pacing, events, task
from locust.runners import MasterRunner, WorkerRunner

import itertools
import os
import random
import time

import gevent
import gevent.event
# imported here, in the master before it forks its workers (--processes), not once per worker
from simple_salesforce import Salesforce

import simulators.clients  # noqa: F401  -- the watcher's and the sessions' connections (session.py)

from simulators.core.clock import wall_seconds
from simulators.load.session import LoadSession, load_config, observer_conns
from simulators.load.timings import Observer, SimTime, Tracker

CFG = load_config()
# Locust rewrites its CSV files every CSV_STATS_INTERVAL_SEC (default 1 s; a documented setting): half a
# second keeps the wait for the final pass at the end of a run short (_await_csv_pass)
locust.stats.CSV_STATS_INTERVAL_SEC = float(CFG.get("csv_interval", 0.5))
CLOCK = SimTime(CFG["anchor"])
URLS = CFG["urls"]
CUSTOMERS = CFG.get("customers") or ["ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC", "LONESTAR-AUSTIN",
                                     "ROSE-PORTLAND", "CASCADIA-VANCOUVER"]
CATALOG = [("HW-ROUTER", 2), ("FREIGHT", 1), ("SAAS-PLATFORM-12", 1), ("SVC-IMPL", 1)]
STRIPE_KEY = "sk_test_o2c_load"

TRACKER = Tracker(float(CFG.get("deadline_s", 30)))
PAYABLE: list[dict] = []          # invoices the customers of this process can pay (seen by the watcher)
SHARED: dict = {}                 # per-process lookups (pricebook, accounts), filled by the first rep
_SEQ = itertools.count(1)
_WATCH: list = []
LIFECYCLES_MSG = "o2c_lifecycles"   # a worker -> the master: its complete lifecycles so far
_REPORTED: dict[str, int] = {}      # on the master: each worker's last count
_COUNTED = gevent.event.Event()     # set when this process's count of complete lifecycles changes


def fire(env, kind: str, rec: dict | None, failure: str | None = None) -> None:
    """A business timing as its own Locust rows (wall and simulated), or an unfinished one as a failure."""
    exc = RuntimeError(failure) if failure else None
    wall_ms = (rec or {}).get("wall_s", 0) * 1000
    env.events.request.fire(request_type="E2E", name=kind, response_time=wall_ms, response_length=0,
                            exception=exc, context={})
    env.events.request.fire(request_type="E2E sim", name=kind, response_time=(rec or {}).get("sim_s", 0) * 1000,
                            response_length=0, exception=exc, context={})


def _salesforce(env) -> Salesforce:
    s = LoadSession(env, "SF", CFG.get("ca"))
    resp = s.post(URLS["salesforce"] + "/services/oauth2/token", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": "integration@o2c.test", "password": "o2c-password" + "O2CTOKEN"}, timeout=30)
    resp.raise_for_status()
    token = resp.json()
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=s)


class SalesRep(User):
    """Creates an order (one or two lines) for a customer and activates it."""

    weight = int(CFG.get("weights", {}).get("rep", 3))
    wait_time = constant_pacing(float(CFG.get("rep_pacing", 1.0)))

    def on_start(self):
        self.sf = _salesforce(self.environment)
        if "pricebook" not in SHARED:
            rows = self.sf.query_all("SELECT Id, UnitPrice, Pricebook2Id, Product2.ProductCode FROM PricebookEntry "
                                     "WHERE Pricebook2.IsStandard = true")["records"]
            SHARED["pricebook"] = {r["Product2"]["ProductCode"]: r for r in rows}
            accts = self.sf.query_all("SELECT Id, Customer_Key__c FROM Account WHERE Customer_Key__c != null")
            SHARED["accounts"] = [a["Id"] for a in accts["records"] if a["Customer_Key__c"] in CUSTOMERS]

    @task
    def sell(self):
        pb = SHARED["pricebook"]
        key = f"LD-{CFG.get('tag', 'x')}-{os.getpid()}-{next(_SEQ)}"
        lines = random.sample(CATALOG, random.choice((1, 2)))
        first = pb[lines[0][0]]
        today = CLOCK.iso(CLOCK.now())[:10]
        order = self.sf.Order.create({"AccountId": random.choice(SHARED["accounts"]), "Status": "Draft",
                                      "Pricebook2Id": first["Pricebook2Id"], "EffectiveDate": today,
                                      "Order_Key__c": key})
        for sku, qty in lines:
            self.sf.OrderItem.create({"OrderId": order["id"], "PricebookEntryId": pb[sku]["Id"], "Quantity": qty,
                                      "UnitPrice": pb[sku]["UnitPrice"]})
        self.sf.Order.update(order["id"], {"Status": "Activated"})
        now = wall_seconds()
        TRACKER.start("order_to_invoice_visible", key, now, CLOCK.at(now))
        TRACKER.orders_activated += 1


class Customer(User):
    """Pays an invoice on Stripe once it is payable: a declined card first (some), in two parts (some)."""

    weight = int(CFG.get("weights", {}).get("customer", 3))
    wait_time = between(0.2, 0.6)

    def on_start(self):
        self.http = LoadSession(self.environment, "Stripe", CFG.get("ca"))
        self.http.headers["Authorization"] = f"Bearer {STRIPE_KEY}"
        self.base = URLS["stripe"]

    def _post(self, path: str, data: dict, expect: tuple[int, ...] = ()):
        with self.http.expecting(*expect):
            return self.http.post(self.base + path, data=data, timeout=30)

    @task
    def pay(self):
        if not PAYABLE:
            return
        item = PAYABLE.pop(0)
        inv_id = item["stripe_invoice"]
        inv = self.http.get(f"{self.base}/v1/invoices/{inv_id}", timeout=30).json()
        if inv.get("status") != "open":
            return
        if random.random() < float(CFG.get("decline_share", 0.15)):
            declined = self._post(f"/v1/invoices/{inv_id}/pay", {"payment_method": "pm_card_chargeDeclined"},
                                  expect=(402,))
            if declined.status_code == 402:
                TRACKER.payments["declined"] += 1
        remaining = int(inv["amount_remaining"])
        if remaining >= 200 and random.random() < float(CFG.get("parts_share", 0.2)):
            TRACKER.payments["parts"] += 1
            final = None
            for amount in (remaining // 2, remaining - remaining // 2):
                pi = self._post("/v1/payment_intents", {"amount": amount, "currency": inv["currency"],
                                                        "customer": inv["customer"], "payment_method": "pm_card_visa",
                                                        "confirm": "true"}).json()
                final = self._post(f"/v1/invoices/{inv_id}/attach_payment", {"payment_intent": pi["id"]})
        else:
            TRACKER.payments["full"] += 1
            final = self._post(f"/v1/invoices/{inv_id}/pay", {"payment_method": "pm_card_visa"})
        now = wall_seconds()
        body = final.json() if final is not None and final.ok else {}
        paid_at = (body.get("status_transitions") or {}).get("paid_at")
        if body.get("status") != "paid" or not paid_at:
            return   # the failed call is already a failure row of its own
        for kind in ("payment_to_paid_visible", "payment_to_erp_applied"):
            TRACKER.start(kind, item["key"], now, float(paid_at), erp_invoice=item.get("erp_invoice"))


class FinanceUser(User):
    """Finance looks at receivables: the mirrors in Salesforce, the ERP's open invoices, Stripe's paid ones."""

    weight = int(CFG.get("weights", {}).get("finance", 1))
    wait_time = constant_pacing(float(CFG.get("finance_pacing", 3.0)))

    def on_start(self):
        self.sf = _salesforce(self.environment)
        self.erp = LoadSession(self.environment, "ERP", CFG.get("ca"))
        self.erp.headers["Authorization"] = "Bearer o2c-erp-token"
        self.stripe = LoadSession(self.environment, "Stripe", CFG.get("ca"))
        self.stripe.headers["Authorization"] = f"Bearer {STRIPE_KEY}"

    @task(3)
    def unpaid_mirrors(self):
        self.sf.query("SELECT Id, Name, blng__Balance__c, blng__PaymentStatus__c FROM blng__Invoice__c "
                      "WHERE blng__PaymentStatus__c != 'Paid' ORDER BY CreatedDate DESC LIMIT 50")

    @task(1)
    def open_receivables(self):
        self.erp.post(URLS["erp"] + "/services/rest/query/v1/suiteql", params={"limit": 50},
                      json={"q": "SELECT id, tranid, amountremaining FROM transaction WHERE type = 'CustInvc' "
                                 "AND amountremaining > 0"}, headers={"Prefer": "transient"}, timeout=30)

    @task(1)
    def paid_at_gateway(self):
        self.stripe.get(URLS["stripe"] + "/v1/invoices", params={"status": "paid", "limit": 20}, timeout=30)


# ---- the watcher: one greenlet per Locust process, observing pending timings --------------------
def _watch(env) -> None:
    observer = Observer(*observer_conns(CFG))
    interval = float(CFG.get("watch_interval", 0.2))
    told = 0
    while True:
        try:
            for rec in observer.poll(TRACKER, CLOCK):
                fire(env, rec["kind"], rec)
                if rec["kind"] == "order_to_invoice_visible":
                    PAYABLE.append(rec)
            for rec in TRACKER.expire(wall_seconds()):
                fire(env, rec["kind"], None, failure=f"unfinished after {rec['waited_s']}s")
            if TRACKER.lifecycles_completed != told:
                told = TRACKER.lifecycles_completed
                _COUNTED.set()
                if isinstance(env.runner, WorkerRunner):
                    # at once, not with the stats a worker reports every few seconds: --until-lifecycles
                    env.runner.send_message(LIFECYCLES_MSG, {"completed": told})
        except Exception as exc:  # a watcher error must not end the run; it shows as a row
            env.events.request.fire(request_type="WATCH", name="observer error", response_time=0,
                                    response_length=0, exception=exc, context={})
        gevent.sleep(interval)


def _hand_over(environment) -> None:
    out = CFG.get("out")
    if out and not isinstance(environment.runner, MasterRunner):
        TRACKER.write(__import__("pathlib").Path(out) / f"e2e-{os.getpid()}.json")


@events.test_start.add_listener
def _on_start(environment, **_kw):
    if not isinstance(environment.runner, MasterRunner) and not _WATCH:
        _WATCH.append(gevent.spawn(_watch, environment))


@events.test_stop.add_listener
def _on_stop(environment, **_kw):
    for g in _WATCH:
        g.kill(block=False)
    _WATCH.clear()
    _hand_over(environment)


@events.quitting.add_listener
def _on_quit(environment, **_kw):
    _hand_over(environment)


@events.init.add_listener
def _progress(environment, **_kw):
    """One progress line every few seconds on the master (or the only process)."""
    if isinstance(environment.runner, WorkerRunner) or not CFG.get("progress", True):
        return

    def loop():
        start = wall_seconds()
        while True:
            gevent.sleep(float(CFG.get("progress_interval", 5)))
            stats = environment.stats
            parts = [f"[{CFG.get('tag', '')}] {wall_seconds() - start:5.0f}s users={environment.runner.user_count}"]
            parts.append(f"lifecycles~{completed(environment)}")
            for kind, short in (("order_to_invoice_visible", "order->invoice"),
                                ("payment_to_paid_visible", "pay->Paid")):
                e = stats.entries.get((kind, "E2E"))
                if e and e.num_requests:
                    parts.append(f"{short} p95={e.get_response_time_percentile(0.95) / 1000:.2f}s")
            print("  ".join(parts), flush=True)
    gevent.spawn(loop)


def completed(environment) -> int:
    """Complete lifecycles so far (paid in Salesforce and applied in the ERP): this process's own, or
    on a master what its workers said they have (each tells the master as soon as its count changes)."""
    if isinstance(environment.runner, MasterRunner):
        return sum(_REPORTED.values())
    return TRACKER.lifecycles_completed


@events.init.add_listener
def _lifecycle_reports(environment, **_kw):
    if isinstance(environment.runner, MasterRunner):
        def on_report(msg, **_kw):
            _REPORTED[msg.node_id] = int(msg.data["completed"])
            _COUNTED.set()
        environment.runner.register_message(LIFECYCLES_MSG, on_report)


@events.init.add_listener
def _until(environment, **_kw):
    """``--until-lifecycles N``: the master (or the only process) ends the run once N lifecycles are
    complete; Locust's own run time stays the cap. The late timings are still collected afterwards."""
    target = int(CFG.get("until_lifecycles") or 0)
    if target <= 0 or isinstance(environment.runner, WorkerRunner):
        return

    def loop():
        while completed(environment) < target:
            _COUNTED.wait(1.0)   # woken when the count changes (the timeout only bounds a missed wake-up)
            _COUNTED.clear()
        print(f"[{CFG.get('tag', '')}] {target} lifecycles complete: ending the run", flush=True)
        environment.runner.quit()
    gevent.spawn(loop)


@events.init.add_listener
def _await_workers(environment, **_kw):
    """The master waits here until its workers are connected (bounded), polling the condition in short
    steps: Locust's headless master otherwise checks them once right after forking and then sleeps a
    whole second between checks, a second lost on every run with --processes."""
    runner, opts = environment.runner, environment.parsed_options
    want = int(getattr(opts, "expect_workers", 0) or 0)
    if not isinstance(runner, MasterRunner) or not getattr(opts, "headless", False) or want <= 0 \
            or not hasattr(runner, "clients"):
        return   # with the web UI, Locust does not wait for workers before it starts: neither do we
    deadline = time.monotonic() + 10
    while len(runner.clients.ready) < want and time.monotonic() < deadline:
        gevent.sleep(0.02)


# bounds of the end-of-run waits for the workers' quit and one more CSV pass (each ends on its condition)
WORKERS_QUIT_S, CSV_PASS_SLACK_S = 10.0, 4.0


@events.init.add_listener
def _prompt_quit(environment, **_kw):
    """The master (or the only process) quits once, as soon as its workers have quit and its CSV
    writer has written the final numbers. Locust's own master waits a fixed half second for the
    workers' last reports each time it is told to quit, and it is told three times on the way out
    (the run's end, the ``quitting`` event, the shutdown): 1.5 s per run. A worker sends its last
    report before its quit message on the same connection, so once every worker has quit nothing
    more is coming."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner) or not all(hasattr(runner, a) for a in ("stop", "greenlet")):
        return
    master = isinstance(runner, MasterRunner)
    if master and not all(hasattr(runner, a) for a in ("clients", "server")):
        return
    from locust.rpc import Message
    quitted: list[bool] = []

    def quit_once() -> None:
        if quitted:
            return
        quitted.append(True)
        if master:
            runner.stop(send_stop_to_client=False)
            for client in list(runner.clients.all):
                runner.server.send_to_client(Message("quit", None, client.id))
            # on the condition, not Locust's fixed half second: a busy worker still hands its last numbers over
            deadline = time.monotonic() + WORKERS_QUIT_S
            while runner.clients.all and time.monotonic() < deadline:
                gevent.sleep(0.02)
        else:
            runner.stop()
        _await_csv_pass(environment)
        runner.greenlet.kill(block=True)
    runner.quit = quit_once


def _await_csv_pass(environment) -> None:
    """With ``--csv``, wait (bounded) until Locust's CSV writer has written once more, so
    ``*_stats.csv`` holds the final numbers: the writer rewrites the file every
    ``locust.stats.CSV_STATS_INTERVAL_SEC`` and offers no hook, so its file's modification time is
    the condition."""
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if not prefix:
        return
    path = f"{prefix}_stats.csv"
    try:
        before = os.stat(path).st_mtime_ns
    except OSError:
        return
    from locust.stats import CSV_STATS_INTERVAL_SEC
    deadline = time.monotonic() + 2 * float(CSV_STATS_INTERVAL_SEC) + CSV_PASS_SLACK_S
    while time.monotonic() < deadline:
        gevent.sleep(0.02)
        try:
            if os.stat(path).st_mtime_ns != before:
                return
        except OSError:
            return


# ---- load shapes ---------------------------------------------------------------------------------
if os.environ.get("O2C_LOAD_SHAPE") in ("ramp", "soak", "spike"):
    class O2CShape(LoadTestShape):
        """ramp: up to the users over the first half, then hold; soak: straight to the users and hold;
        spike: a third of the users, all of them in the middle fifth, back to a third."""

        kind = os.environ["O2C_LOAD_SHAPE"]
        users = int(CFG.get("users", 6))
        rate = float(CFG.get("spawn_rate", 2))
        run_time = float(CFG.get("run_time_s", 60))

        def tick(self):
            t = self.get_run_time()
            if t >= self.run_time:
                return None
            base = max(1, self.users // 3)
            if self.kind == "ramp":
                return max(1, round(self.users * min(1.0, t / (self.run_time / 2)))), self.rate
            if self.kind == "spike":
                spiking = 0.4 * self.run_time <= t < 0.6 * self.run_time
                return (self.users if spiking else base), max(self.rate, float(self.users))
            return self.users, self.rate
