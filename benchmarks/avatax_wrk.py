"""Live AvaTax throughput measured with wrk (a C load generator, so the client is not the
bottleneck): ``GET /api/v2/utilities/ping``, a representative authenticated GET (one transaction
by code) and a 2-line SalesOrder estimate, validation strict.

    .venv/bin/python benchmarks/avatax_wrk.py [--seconds 8] [--connections 8] [--baseline DIR]

``--baseline DIR`` also serves the fake from another copy of the ``simulators`` package (e.g. an
older commit: ``git archive <commit> simulators | tar -x -C DIR``) and measures both side by side
in one run, so the ratio holds even on a busy machine. Bounded: each phase runs --seconds.
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
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulators.registry import free_port  # noqa: E402

AUTH = "Basic " + base64.b64encode(b"123456:o2c-license-key").decode()
ADDRESS = {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL", "postalCode": "60601", "country": "US"}
ESTIMATE = {"type": "SalesOrder", "companyCode": "DEFAULT", "date": "2026-01-05", "customerCode": "BENCH",
            "addresses": {"shipTo": ADDRESS},
            "lines": [{"number": str(i), "amount": 250, "taxCode": "P0000000"} for i in (1, 2)]}
INVOICE = dict(ESTIMATE, type="SalesInvoice", code="BENCH-1")


def lua_post(body: dict) -> str:
    path = Path(tempfile.mkdtemp()) / "post.lua"
    path.write_text('wrk.method = "POST"\nwrk.body = ' + json.dumps(json.dumps(body)) +
                    '\nwrk.headers["Content-Type"] = "application/json"\n')
    return str(path)


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Authorization: {AUTH}", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"  warning: {non2xx.group(1)} non-2xx answers from {url}")
    return float(m.group(1)) if m else float("nan")


def serve(src: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(src))
    proc = subprocess.Popen([sys.executable, "-m", "simulators.core.server", "avalara", "--port", str(port)],
                            cwd=str(src), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(base + "/api/v2/utilities/ping", timeout=2)
            return proc, base
        except requests.ConnectionError:
            try:
                proc.wait(timeout=0.1)   # waits out the start-up, or notices the server exited
                break
            except subprocess.TimeoutExpired:
                pass
    proc.terminate()
    raise SystemExit(f"the fake from {src} did not start")


def phase(base: str, args, estimate_lua: str) -> tuple[float, float, float]:
    headers = {"Authorization": AUTH, "Content-Type": "application/json"}
    made = requests.post(base + "/api/v2/transactions/create", data=json.dumps(INVOICE), headers=headers, timeout=10)
    assert made.status_code == 201, made.text
    ping = wrk(base + "/api/v2/utilities/ping", args.seconds, args.connections)
    get = wrk(base + "/api/v2/companies/DEFAULT/transactions/BENCH-1", args.seconds, args.connections)
    est = wrk(base + "/api/v2/transactions/create", args.seconds, args.connections, estimate_lua)
    return ping, get, est


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--baseline", help="a directory holding another copy of the simulators package")
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    lua = lua_post(ESTIMATE)
    sources = [("this tree", ROOT)] + ([("baseline", Path(args.baseline))] if args.baseline else [])
    rows = []
    for name, src in sources:
        proc, base = serve(src)
        try:
            rows.append((name, *phase(base, args, lua)))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, validation strict, one run, side by side")
    print(f"{'server':<14}{'GET ping':>12}{'GET transaction':>18}{'POST estimate (2 lines)':>26}")
    for name, ping, get, est in rows:
        print(f"{name:<14}{ping:>12.0f}{get:>18.0f}{est:>26.0f}")
    if len(rows) == 2:
        print(f"{'ratio':<14}" + "".join(f"{a / b:>{w}.2f}x" for a, b, w in
                                       zip(rows[0][1:], rows[1][1:], (11, 17, 25))))


if __name__ == "__main__":
    main()
