"""Seeded adversarial requests against each fake, in-process: how many answers are a 5xx the vendor
would not give, and how many errors are not in the vendor's own shape (docs/benchmarks.md).

    .venv/bin/python -m benchmarks.fuzz_shapes                 # 2,200 requests per fake, seed 0
    .venv/bin/python -m benchmarks.fuzz_shapes --count 300 --fake erp --show 5

Bounded: each fake stops after ``--count`` requests (2,200 take a few seconds to ~a minute per fake).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time

from tests.fuzz.generator import run
from tests.fuzz.targets import TARGETS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2200, help="requests per fake (default 2200)")
    ap.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    ap.add_argument("--fake", action="append", choices=sorted(TARGETS), help="only this fake (repeatable)")
    ap.add_argument("--show", type=int, default=3, help="findings to print per fake and kind (default 3)")
    args = ap.parse_args(argv)
    bad = 0
    for name in args.fake or list(TARGETS):
        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):   # tracebacks of the findings
            report = run(name, args.count, args.seed)
        print(f"{report.line()}  ({time.perf_counter() - started:.1f} s)")
        for kind, found in (("5xx", report.server_errors), ("unshaped", report.unshaped)):
            for f in found[: args.show]:
                print(f"    {kind}: {f}")
        bad += len(report.server_errors) + len(report.unshaped)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
