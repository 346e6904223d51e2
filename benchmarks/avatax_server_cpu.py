"""CPU the live AvaTax server spends per request (its process's user + system time over the requests
wrk completed), for this tree and any other trees: steadier than req/s on a shared machine, where
the server gets an unknown share of the cores. Cases as ``fakes_wrk``'s.

    .venv/bin/python -m benchmarks.avatax_server_cpu [--tree /tmp/before] [--seconds 6]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from pathlib import Path

import requests

from benchmarks.fakes_wrk import AVA_AUTH, ESTIMATE, ROOT, Served, lua_post
from benchmarks.sidebyside import print_table

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime + stime


def completed(url: str, seconds: int, script: str | None) -> int:
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s", "-H", f"Authorization: {AVA_AUTH}", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    return int(re.search(r"(\d+) requests in", out).group(1))


def measure(tree: Path, seconds: int) -> dict[str, float]:
    out = {}
    with Served(tree, "avalara", None) as s:
        made = requests.post(s.base + "/api/v2/transactions/create", timeout=10,
                             data=json.dumps(dict(ESTIMATE, type="SalesInvoice", code="BENCH-1")),
                             headers={"Authorization": AVA_AUTH, "Content-Type": "application/json"})
        assert made.status_code == 201, made.text
        post = lua_post(json.dumps(ESTIMATE), "application/json")
        for case, url, script in [("GET ping", "/api/v2/utilities/ping", None),
                                  ("GET transaction", "/api/v2/companies/DEFAULT/transactions/BENCH-1", None),
                                  ("POST estimate (2 lines)", "/api/v2/transactions/create", post)]:
            before = cpu_seconds(s.proc.pid)
            n = completed(s.base + url, seconds, script)
            out[case] = (cpu_seconds(s.proc.pid) - before) / n * 1e6
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tree", action="append", default=[])
    p.add_argument("--seconds", type=int, default=6)
    args = p.parse_args()
    trees = [ROOT, *(Path(t).resolve() for t in args.tree)]
    results = [measure(t, args.seconds) for t in trees]
    print_table(f"AvaTax live server CPU, µs per request (wrk -t2 -c8 -d{args.seconds}s, validation strict)",
                results, trees)

if __name__ == "__main__":
    main()
