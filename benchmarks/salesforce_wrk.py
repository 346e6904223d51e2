"""Live fake-Salesforce throughput over HTTPS measured with wrk (a C load generator, so the client is
not the bottleneck as a Python client is on 2 cores): GET one sObject record and a SOQL query.

    .venv/bin/python benchmarks/salesforce_wrk.py [--seconds 10] [--connections 8]
    .venv/bin/python benchmarks/salesforce_wrk.py --tree /tmp/other-checkout   # side by side with another tree

Each tree (this checkout, then every ``--tree``) is served by its own server process
(``python -m simulators.core.server salesforce`` with a trustme certificate, validation strict),
measured, and stopped before the next one starts, so the figures in one run are comparable.
Bounded: each phase runs --seconds.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[1]
SOQL = "SELECT Id, Name FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, token: str, seconds: int, connections: int) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"  warning: {non2xx.group(1)} non-2xx answers from {url}")
    return float(m.group(1)) if m else float("nan")


def tls_files(where: Path) -> tuple[Path, Path]:
    import trustme
    ca = trustme.CA(organization_name="o2c bench CA")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = where / "server.pem", where / "server.key"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(certfile), append=True)
    cert.private_key_pem.write_to_path(str(keyfile))
    return certfile, keyfile


def measure(tree: Path, args, certfile: Path, keyfile: Path) -> tuple[float, float]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "O2C_CONTROL_TOKEN": "bench-token"}
    cmd = [sys.executable, "-m", "simulators.core.server", "salesforce", "--port", str(port), "--threads", "8",
           "--certfile", str(certfile), "--keyfile", str(keyfile)]
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"https://127.0.0.1:{port}"
    try:
        waiter = threading.Event()
        for _ in range(300):
            try:
                requests.get(base + "/services/data", verify=False, timeout=2)
                break
            except requests.ConnectionError:
                waiter.wait(0.1)
        form = {"grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
                "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"}
        token = requests.post(base + "/services/oauth2/token", data=form, verify=False, timeout=10).json()[
            "access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        rows = requests.get(f"{base}/services/data/v59.0/query", params={"q": SOQL}, headers=auth, verify=False,
                            timeout=10).json()["records"]
        record = f"{base}/services/data/v59.0/sobjects/Account/{rows[0]['Id']}"
        get = wrk(record, token, args.seconds, args.connections)
        query = wrk(f"{base}/services/data/v59.0/query?q={quote(SOQL)}", token, args.seconds, args.connections)
        return get, query
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--tree", action="append", default=[], help="another source tree to measure side by side")
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    import urllib3
    urllib3.disable_warnings()
    certfile, keyfile = tls_files(Path(tempfile.mkdtemp()))
    results = [(str(t), *measure(Path(t).resolve(), args, certfile, keyfile)) for t in [ROOT, *args.tree]]
    print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s over HTTPS, one run, side by side (req/s)")
    print(f"{'tree':<40}{'GET sObject':>14}{'SOQL query':>14}")
    for name, get, query in results:
        print(f"{name[-40:]:<40}{get:>14.1f}{query:>14.1f}")
    for name, get, query in results[1:]:
        print(f"{'ratio this / ' + name[-26:]:<40}{results[0][1] / get:>13.2f}x{results[0][2] / query:>13.2f}x")


if __name__ == "__main__":
    main()
