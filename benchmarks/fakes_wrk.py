"""Live throughput of every fake measured with wrk (a C load generator, so the client is not the
bottleneck as a Python client is on 2 cores), validation strict, for this tree and any other trees
side by side in one run (e.g. the code before a change):

    apt-get install wrk
    git -C . archive <commit> | tar -x -C /tmp/before
    .venv/bin/python -m benchmarks.fakes_wrk [--tree /tmp/before] [--fakes stripe salesforce avalara erp]
        [--seconds 8] [--connections 8]

Cases, each the representative call of its fake: Stripe GET customer and POST customer (form);
Salesforce GET sObject record and a SOQL query by external id (HTTPS); AvaTax GET ping, GET a
transaction and POST a 2-line SalesOrder estimate; ERP GET customer. Each tree's fake is served
by its own process (``python -m simulators.core.server``), measured, and stopped before the next
starts. Bounded: every phase runs ``--seconds``. Results in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulators.harness import make_tls  # noqa: E402
from simulators.registry import free_port  # noqa: E402

AVA_AUTH = "Basic " + base64.b64encode(b"123456:o2c-license-key").decode()
ADDRESS = {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL", "postalCode": "60601", "country": "US"}
ESTIMATE = {"type": "SalesOrder", "companyCode": "DEFAULT", "date": "2026-01-05", "customerCode": "BENCH",
            "addresses": {"shipTo": ADDRESS},
            "lines": [{"number": str(i), "amount": 250, "taxCode": "P0000000"} for i in (1, 2)]}
SOQL = "SELECT Id, Name FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'"


def lua_post(body: str, content_type: str) -> str:
    path = Path(tempfile.mkdtemp()) / "post.lua"
    path.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                    f'wrk.headers["Content-Type"] = "{content_type}"\n')
    return str(path)


def wrk(url: str, auth: str, seconds: int, connections: int, script: str | None = None) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Authorization: {auth}", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        print(f"  warning: {bad.group(1)} non-2xx answers from {url}")
    return float(m.group(1)) if m else float("nan")


def tls_files() -> tuple[str, str]:
    _, certfile, keyfile = make_tls(Path(tempfile.mkdtemp()))
    return str(certfile), str(keyfile)


class Served:
    """One fake from one tree in its own server process, stopped on exit."""

    def __init__(self, tree: Path, fake: str, tls: tuple[str, str] | None):
        self.port = free_port()
        cmd = [sys.executable, "-m", "simulators.core.server", fake, "--port", str(self.port), "--threads", "8"]
        if tls:
            cmd += ["--certfile", tls[0], "--keyfile", tls[1]]
        env = {**os.environ, "PYTHONPATH": str(tree), "O2C_CONTROL_TOKEN": "bench-token"}
        self.proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> "Served":
        pause = threading.Event()
        for _ in range(600):
            try:
                requests.get(self.base + "/_sim/health", headers={"X-Sim-Token": "bench-token"}, verify=False,
                             timeout=2)
                return self
            except requests.ConnectionError:
                if self.proc.poll() is not None:
                    break
                pause.wait(0.1)
        self.__exit__()
        raise SystemExit(f"the fake on port {self.port} did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)


def stripe(s: Served, a) -> dict[str, float]:
    auth = "Bearer sk_test_o2c"
    cus = requests.post(s.base + "/v1/customers", data={"email": "bench@o2c.test"}, headers={"Authorization": auth},
                        timeout=10).json()["id"]
    post = lua_post("email=bench%40o2c.test&name=Bench", "application/x-www-form-urlencoded")
    return {"Stripe GET customer": wrk(f"{s.base}/v1/customers/{cus}", auth, a.seconds, a.connections),
            "Stripe POST customer": wrk(f"{s.base}/v1/customers", auth, a.seconds, a.connections, post)}


def salesforce(s: Served, a) -> dict[str, float]:
    form = {"grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
            "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"}
    # the org's DailyApiRequests (100,000 by default, as a Developer org) would run out within the first case:
    # a higher allowance, so every case measures answers rather than REQUEST_LIMIT_EXCEEDED refusals
    requests.post(s.base + "/_sim/salesforce/settings", json={"api_daily_max": 10_000_000}, verify=False, timeout=10,
                  headers={"X-Sim-Token": "bench-token"}).raise_for_status()
    token = requests.post(s.base + "/services/oauth2/token", data=form, verify=False, timeout=10).json()["access_token"]
    auth = f"Bearer {token}"
    rows = requests.get(f"{s.base}/services/data/v59.0/query", params={"q": SOQL}, headers={"Authorization": auth},
                        verify=False, timeout=10).json()["records"]
    record = f"{s.base}/services/data/v59.0/sobjects/Account/{rows[0]['Id']}"
    return {"Salesforce GET sObject (HTTPS)": wrk(record, auth, a.seconds, a.connections),
            "Salesforce SOQL by external id (HTTPS)": wrk(f"{s.base}/services/data/v59.0/query?q={quote(SOQL)}",
                                                          auth, a.seconds, a.connections)}


def avalara(s: Served, a) -> dict[str, float]:
    made = requests.post(s.base + "/api/v2/transactions/create", data=json.dumps(dict(ESTIMATE, type="SalesInvoice",
                                                                                      code="BENCH-1")),
                         headers={"Authorization": AVA_AUTH, "Content-Type": "application/json"}, timeout=10)
    assert made.status_code == 201, made.text
    post = lua_post(json.dumps(ESTIMATE), "application/json")
    return {"AvaTax GET ping": wrk(s.base + "/api/v2/utilities/ping", AVA_AUTH, a.seconds, a.connections),
            "AvaTax GET transaction": wrk(s.base + "/api/v2/companies/DEFAULT/transactions/BENCH-1", AVA_AUTH,
                                          a.seconds, a.connections),
            "AvaTax POST estimate (2 lines)": wrk(s.base + "/api/v2/transactions/create", AVA_AUTH, a.seconds,
                                                  a.connections, post)}


def erp(s: Served, a) -> dict[str, float]:
    auth = "Bearer o2c-erp-token"
    r = requests.post(s.base + "/services/rest/record/v1/customer", json={"companyName": "Bench Co",
                                                                         "externalId": "BENCH"},
                      headers={"Authorization": auth}, timeout=30)
    assert r.status_code == 204, r.text
    return {"ERP GET customer": wrk(r.headers["Location"], auth, a.seconds, a.connections)}


CASES = {"stripe": stripe, "salesforce": salesforce, "avalara": avalara, "erp": erp}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tree", action="append", default=[], help="another source tree to measure side by side")
    p.add_argument("--fakes", nargs="+", default=list(CASES), choices=list(CASES))
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", type=int, default=8)
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    import urllib3
    urllib3.disable_warnings()
    tls = tls_files()
    trees = [ROOT, *(Path(t).resolve() for t in args.tree)]
    table: dict[str, list[float]] = {}
    for fake in args.fakes:
        for tree in trees:
            with Served(tree, fake, tls if fake == "salesforce" else None) as served:
                for case, rps in CASES[fake](served, args).items():
                    table.setdefault(case, []).append(rps)
    print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, validation strict, one run, side by side (req/s)")
    names = ["this tree"] + [f"tree {i}" for i in range(1, len(trees))]
    print(f"{'case':<42}" + "".join(f"{n:>12}" for n in names) + ("" if len(trees) == 1 else f"{'ratio':>10}"))
    for case, values in table.items():
        ratio = f"{values[0] / values[1]:>9.2f}x" if len(values) > 1 and values[1] else ""
        print(f"{case:<42}" + "".join(f"{v:>12.0f}" for v in values) + ratio)
    for i, tree in enumerate(trees[1:], 1):
        print(f"tree {i}: {tree}")


if __name__ == "__main__":
    main()
