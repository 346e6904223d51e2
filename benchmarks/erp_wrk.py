"""ERP read throughput with wrk (a C load generator): GET /services/rest/record/v1/customer/{id}
(Bearer) for one or more source trees side by side in one run, e.g. the code before and after a change:

    git archive <rev> | tar -x -C /tmp/erp-before
    .venv/bin/python benchmarks/erp_wrk.py --src /tmp/erp-before --src .

Each tree's ERP fake runs alone (LiveHarness in a child process with PYTHONPATH=<tree>); bounded:
each phase runs --seconds (default 10) with --connections (default 8).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import requests

AUTH = "Bearer o2c-erp-token"
REST = "/services/rest/record/v1"
CHILD = """
import sys, tempfile
from pathlib import Path
from simulators.harness import LiveHarness
from simulators.registry import free_port
with LiveHarness(["erp"], ports={"erp": free_port()}, run_dir=Path(tempfile.mkdtemp(prefix="erp-wrk-"))) as h:
    print(h.url("erp"), flush=True)
    sys.stdin.readline()
"""


def wrk(url: str, seconds: int, connections: int) -> tuple[float, str]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Authorization: {AUTH}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (float(m.group(1)) if m else float("nan")), (non2xx.group(1) if non2xx else "0")


def measure(src: str, seconds: int, connections: int) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=str(Path(src).resolve()))
    try:
        base = child.stdout.readline().strip()
        r = requests.post(base + REST + "/customer", json={"companyName": "Bench Co", "externalId": "BENCH"},
                          headers={"Authorization": AUTH}, timeout=30)
        assert r.status_code == 204, r.text
        return wrk(r.headers["Location"], seconds, connections)
    finally:
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=60)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--src", action="append", required=True, help="a source tree (repeatable)")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=8)
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    rows = [(src, *measure(src, args.seconds, args.connections)) for src in args.src]
    print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s GET customer (Bearer), one run, side by side")
    for src, rps, bad in rows:
        print(f"{src:<40}{rps:>12.1f} req/s   non-2xx: {bad}")
    for src, rps, _ in rows[1:]:
        print(f"ratio {src} / {rows[0][0]}: {rps / rows[0][1]:.2f}x")


if __name__ == "__main__":
    main()
