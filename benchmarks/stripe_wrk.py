"""Side-by-side throughput of the fake Stripe and localstripe measured with wrk (a C load
generator), so the client is not the bottleneck as a Python client is on 2 cores.

    apt-get install wrk
    python3 -m venv /tmp/localstripe-venv && /tmp/localstripe-venv/bin/pip install localstripe
    .venv/bin/python benchmarks/stripe_wrk.py --localstripe /tmp/localstripe-venv/bin/localstripe

Bounded: each phase runs --seconds (default 10) with --connections (default 8); servers stop at the end.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fakes_wrk import wrk as _wrk  # noqa: E402
from simulators.harness import LiveHarness  # noqa: E402
from simulators.registry import free_port  # noqa: E402

AUTH = {"Authorization": "Bearer sk_test_o2c"}
POST_LUA = 'wrk.method = "POST"\nwrk.body = "email=bench%40o2c.test&name=Bench"\n' \
           'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> float:
    return _wrk(url, AUTH["Authorization"], seconds, connections, script)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--localstripe", required=True)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=8)
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    lua = Path(tempfile.mkdtemp()) / "post.lua"
    lua.write_text(POST_LUA)
    port = free_port()
    ls = subprocess.Popen([args.localstripe, "--port", str(port), "--from-scratch"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        ready = threading.Event()
        for _ in range(200):
            try:
                requests.get(f"http://127.0.0.1:{port}/v1/customers", headers=AUTH, timeout=2)
                break
            except requests.ConnectionError:
                ready.wait(0.1)
        rows = []
        with LiveHarness(["stripe"], ports={"stripe": free_port()}, run_dir=Path(tempfile.mkdtemp())) as h:
            rows.append(("o2c fake (loopserver)", *phase(h.url("stripe"), args, lua)))
        rows.append(("localstripe", *phase(f"http://127.0.0.1:{port}", args, lua)))
    finally:
        ls.terminate()
        ls.wait(timeout=10)
    print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, one run, side by side")
    print(f"{'server':<24}{'POST /v1/customers':>20}{'GET /v1/customers/{id}':>26}")
    for name, w, r in rows:
        print(f"{name:<24}{w:>20.1f}{r:>26.1f}")
    lw, lr = rows[-1][1], rows[-1][2]
    for name, w, r in rows[:-1]:
        print(f"{'ratio ' + name.split(' (')[-1].rstrip(')'):<24}{w / lw:>19.1f}x{r / lr:>25.1f}x")


def phase(base: str, args, lua: Path) -> tuple[float, float]:
    """Reads then writes against one server: (writes/s, reads/s)."""
    cid = requests.post(base + "/v1/customers", data={"email": "r@o2c.test"}, headers=AUTH).json()["id"]
    reads = wrk(f"{base}/v1/customers/{cid}", args.seconds, args.connections)
    writes = wrk(f"{base}/v1/customers", args.seconds, args.connections, str(lua))
    return writes, reads


if __name__ == "__main__":
    main()
