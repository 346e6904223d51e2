"""The control-plane commands: ``o2c reset``, ``o2c clock``, ``o2c faults``, ``o2c violations``."""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from ..registry import FAKES
from .common import CliError, controls, run_info, token


def cmd_reset(args) -> int:
    for name, c in controls(args).items():
        c.reset()
        print(f"reset {name}")
    return 0


def cmd_clock(args) -> int:
    from ..harness import LiveHarness
    ctl = controls(args)
    if args.action == "advance":
        if not args.value:
            raise CliError("o2c clock advance DURATION (e.g. 30d, 2h, 90s)")
        info = run_info(Path(args.run_dir))
        h = LiveHarness(list(ctl), ports={n: int(u.rsplit(":", 1)[1]) for n, u in info["urls"].items() if n in ctl},
                        run_dir=Path(args.run_dir))
        h.ca_path = Path(info["ca"]) if info.get("ca") else None
        h.control_token = token(info, Path(args.run_dir))
        ran = h.advance(args.value)
        print(f"advanced {args.value}: {ran} jobs ran")
    elif args.action == "mode":
        if args.value not in ("frozen", "real", "scaled"):
            raise CliError("o2c clock mode frozen|real|scaled [--rate N]")
        for c in ctl.values():
            c.post("/clock", {"mode": args.value, **({"rate": args.rate} if args.rate is not None else {})})
    for name, c in ctl.items():
        view = c.clock()
        print(f"{name:<11} now={view['now']} mode={view['mode']} rate={view['rate']} pending={view['pending_jobs']}")
    return 0


def _one_fake(args, what: str):
    if not args.fake:
        raise CliError(f"o2c faults {what} needs --fake ({', '.join(sorted(FAKES))})")
    return controls(args)[args.fake]


def _checked_rule(args, catalog: dict) -> dict:
    """The rule ``faults add`` sends, its operation and error code checked against the fake's catalogue."""
    if not any(fnmatch.fnmatchcase(op, args.operation) for op in catalog["operations"]):
        raise CliError(f"--operation {args.operation!r} matches no operation of {args.fake}; "
                       f"`o2c faults operations --fake {args.fake}` lists them")
    rule: dict = {"operation": args.operation}
    if args.error:
        codes = [e["code"] for e in catalog["errors"]]
        if args.error not in codes and args.status is None:
            raise CliError(f"--error {args.error!r} is not one of {args.fake}'s documented fault errors "
                           f"({', '.join(codes)}); give --status too to inject another code")
        rule["error"] = {"code": args.error, **({"status": args.status} if args.status is not None else {})}
    elif args.status is not None:
        raise CliError("--status goes with --error")
    if args.latency_ms is not None:
        rule["latency"] = {"kind": "fixed", "ms": args.latency_ms}
    if args.drop:
        rule["drop"] = True
    if not (args.error or args.latency_ms is not None or args.drop):
        raise CliError("a fault needs --error, --latency-ms or --drop")
    if args.times:
        rule["times"] = args.times
    if args.probability is not None:
        rule["probability"] = args.probability
    return rule


def cmd_faults(args) -> int:
    if args.action in ("operations", "errors"):
        catalog = _one_fake(args, args.action).get("/faults/catalog")
        if args.action == "operations":
            print("\n".join(catalog["operations"]))
        else:
            for e in catalog["errors"]:
                print(f"{e['code']:<34} {e['status']}  {e['message']}")
        return 0
    if args.action == "add":
        c = _one_fake(args, "add")
        print(json.dumps(c.add_fault(**_checked_rule(args, c.get("/faults/catalog"))), indent=2))
    elif args.action == "clear":
        for name, c in controls(args).items():
            print(f"{name}: cleared {c.clear_faults()['cleared']}")
    else:
        for name, c in controls(args).items():
            print(f"{name}: {json.dumps(c.get('/faults')['rules'])}")
    return 0


def cmd_violations(args) -> int:
    """The contract report: every request the fakes found against their schemas, per caller.
    Exit status 1 when there is any (so CI can gate on it)."""
    report = {name: c.get("/violations") for name, c in controls(args).items()}
    total = sum(len(items) for r in report.values() for items in r["by_caller"].values())
    if args.json:
        print(json.dumps({"total": total, "fakes": report}, indent=2))
        return 1 if total else 0
    for name, r in report.items():
        print(f"{name} (validation {r['mode']}):")
        if not r["by_caller"]:
            print("  no violations")
        for caller, items in r["by_caller"].items():
            print(f"  {caller}: {len(items)}")
            for v in items[:20]:
                print(f"    {v.get('operation', '?')}: {'; '.join(str(e.get('message', e)) for e in v.get('errors', []))[:200]}")
    print(f"{total} violation(s)")
    return 1 if total else 0


def add_parsers(sub, fmt) -> None:
    reset = sub.add_parser("reset", help="empty the running fakes", formatter_class=fmt)
    reset.add_argument("--fake", choices=sorted(FAKES), help="only this fake (default: every fake of the run)")
    reset.set_defaults(fn=cmd_reset)
    clock = sub.add_parser("clock", help="show, advance or set the simulated clock", formatter_class=fmt)
    clock.add_argument("action", nargs="?", default="show", choices=["show", "advance", "mode"],
                       help="show the clocks; advance DURATION (lockstep across the fakes); mode frozen|real|scaled")
    clock.add_argument("value", nargs="?", help="advance: a duration (30d, 2h, 90s); mode: frozen, real or scaled")
    clock.add_argument("--rate", type=float, help="mode scaled: simulated seconds per real second")
    clock.set_defaults(fn=cmd_clock, fake=None)
    faults = sub.add_parser("faults", help="list, add or clear fault rules; list a fake's operations and errors",
                            formatter_class=fmt)
    faults.add_argument("action", nargs="?", default="list", choices=["list", "add", "clear", "operations", "errors"],
                        help="list the rules; add one; clear them; list the operations or error codes a rule can name")
    faults.add_argument("--fake", choices=sorted(FAKES), help="the fake (add, operations, errors; list/clear: all)")
    faults.add_argument("--operation", default="*", help="add: the operation, a glob (`o2c faults operations`)")
    faults.add_argument("--error", help="add: the vendor error code to answer (`o2c faults errors`)")
    faults.add_argument("--status", type=int, help="add: the HTTP status of --error (for a code not in the catalogue)")
    faults.add_argument("--latency-ms", type=float, help="add: fixed latency in milliseconds (at most 300000)")
    faults.add_argument("--drop", action="store_true", help="add: drop the connection")
    faults.add_argument("--times", type=int, help="add: fire this many times, then stop (default: every time)")
    faults.add_argument("--probability", type=float, help="add: fire with this probability, 0 to 1 (default: 1)")
    faults.set_defaults(fn=cmd_faults)
    viol = sub.add_parser("violations", help="the contract report: requests the fakes found against their schemas, "
                                             "per caller (exit status 1 when there is any)", formatter_class=fmt)
    viol.add_argument("--fake", choices=sorted(FAKES), help="only this fake (default: every fake of the run)")
    viol.add_argument("--json", action="store_true", help="machine-readable output")
    viol.set_defaults(fn=cmd_violations)
