"""In-process CPU per request of the fake AvaTax (no sockets): the WSGI app called directly,
validation strict, for this tree and any other trees side by side (each tree in its own process):

    .venv/bin/python -m benchmarks.avatax_inprocess [--tree /tmp/before] [--n 3000] [--profile CASE]

Cases are the ones ``fakes_wrk`` measures live: GET ping, GET a stored transaction, POST a 2-line
SalesOrder estimate. ``--profile CASE`` prints a cProfile of that case for this tree instead.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

AUTH = "Basic " + base64.b64encode(b"123456:o2c-license-key").decode()
ADDRESS = {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL", "postalCode": "60601", "country": "US"}
ESTIMATE = {"type": "SalesOrder", "companyCode": "DEFAULT", "date": "2026-01-05", "customerCode": "BENCH",
            "addresses": {"shipTo": ADDRESS},
            "lines": [{"number": str(i), "amount": 250, "taxCode": "P0000000"} for i in (1, 2)]}
CASES = {"ping": ("GET", "/api/v2/utilities/ping", b""),
         "get": ("GET", "/api/v2/companies/DEFAULT/transactions/BENCH-1", b""),
         "estimate": ("POST", "/api/v2/transactions/create", json.dumps(ESTIMATE).encode())}


def environ(method: str, path: str, body: bytes) -> dict:
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8703", "REMOTE_ADDR": "127.0.0.1", "HTTP_AUTHORIZATION": AUTH,
            "HTTP_USER_AGENT": "bench", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "o2c.inline": True}


def app():
    from simulators.avalara.app import create_app
    a = create_app(validation="strict", live=True)
    body = json.dumps(dict(ESTIMATE, type="SalesInvoice", code="BENCH-1")).encode()
    status = []
    a(environ("POST", "/api/v2/transactions/create", body), lambda s, h: status.append(s))
    assert status[0].startswith("201"), status
    return a


def call(a, case: str) -> None:
    method, path, body = CASES[case]
    status = []
    b"".join(a(environ(method, path, body), lambda s, h: status.append(s)))
    assert status[0][0] == "2", status


def measure(n: int) -> dict[str, float]:
    a = app()
    out = {}
    for case in CASES:
        for _ in range(200):   # warm up (memos, caches)
            call(a, case)
        best = float("inf")
        for _ in range(3):   # best of three: the machine may be shared
            start = time.process_time()
            for _ in range(n):
                call(a, case)
            best = min(best, (time.process_time() - start) / n * 1e6)
        out[case] = best
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tree", action="append", default=[])
    p.add_argument("--n", type=int, default=3000)
    p.add_argument("--profile", choices=list(CASES))
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        import simulators
        assert Path(simulators.__file__).resolve().parents[1] == Path.cwd().resolve(), simulators.__file__
        print(json.dumps(measure(args.n)))
        return
    if args.profile:
        import cProfile
        import pstats
        sys.path.insert(0, str(ROOT))
        a = app()
        for _ in range(200):
            call(a, args.profile)
        prof = cProfile.Profile()
        prof.runcall(lambda: [call(a, args.profile) for _ in range(args.n)])
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    trees = [ROOT, *(Path(t).resolve() for t in args.tree)]
    results = []
    for tree in trees:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        # the script by its path (not -m from this tree): the tree's own ``simulators`` is imported
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(args.n)],
                             cwd=tree, env=env, capture_output=True, text=True, timeout=600, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    from benchmarks.sidebyside import print_table   # here: a child run by its path cannot import it
    print_table(f"AvaTax in-process, validation strict, µs per request (CPU time, best of 3 x {args.n})",
                [{case: r[case] for case in CASES} for r in results], trees, width=12)

if __name__ == "__main__":
    main()
