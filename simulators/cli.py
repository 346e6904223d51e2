"""The ``o2c`` command: start the fakes, run the demo, and drive the control plane.

    o2c up [--detach] [--fakes avalara stripe ...] [--port avalara=9703] [--clock scaled --rate 60]
    o2c down | status | reset
    o2c clock [show | advance 30d | mode scaled --rate 3600]
    o2c faults list | clear | add --fake avalara --operation transactions.create --error RequestLimitExceeded --times 2
    o2c reconcile [--json] [--integration-url URL | --no-integration]
    o2c integration status | dead-letters [--json] | retry-dead-letters [--id dl_3] [--url URL]
    o2c experiment sync [--invoices 40] [--seed 7]
    o2c demo
    o2c load [--sync both] [--users 12] [--run-time 60s] [--clock-rate 60] [--slo load/slo.yaml]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from .harness import RUN_DIR, ControlClient, LiveHarness, run_file
from .registry import FAKES, available

CREDENTIALS = """Default credentials (every fake accepts these out of the box):
  Stripe      any secret key starting sk_test_ (e.g. sk_test_o2c); webhook secrets whsec_... are returned on create
  AvaTax      HTTP Basic <numeric account id>:<non-empty license key>, or username:password
  Salesforce  integration@o2c.test / o2c-password + security token O2CTOKEN; client o2c-client-id / o2c-client-secret
              (finance@o2c.test, same password and token: the invoice mirror is read-only for it)
  ERP         account O2C_SB1; consumer o2c-consumer-key / o2c-consumer-secret; token o2c-token-id / o2c-token-secret
              (OAuth 1.0a HMAC-SHA256), or Bearer o2c-erp-token"""


def _ports(pairs: list[str]) -> dict[str, int]:
    out = {}
    for pair in pairs or []:
        name, _, port = pair.partition("=")
        if name not in FAKES or not port.isdigit():
            raise SystemExit(f"--port wants NAME=PORT with NAME in {sorted(FAKES)}, not {pair!r}")
        out[name] = int(port)
    return out


def _controls(args) -> dict[str, ControlClient]:
    info = run_file(Path(args.run_dir))
    if not info:
        raise SystemExit("no running fakes found: start them with `o2c up --detach` first")
    names = [args.fake] if getattr(args, "fake", None) else list(info["urls"])
    verify = info.get("ca") or True
    token = _token(info, args)
    return {n: ControlClient(info["urls"][n], verify=verify, token=token) for n in names}


def _token(info: dict, args) -> str:
    """The run's control token, from <run dir>/control.token (written 0600 by `o2c up`)."""
    token = info.get("control_token")
    if not token:
        raise SystemExit(f"cannot read the control token in {Path(args.run_dir) / 'control.token'}: "
                         "run o2c as the user who started the fakes")
    return token


def cmd_up(args) -> int:
    names = args.fakes or available()
    from .core.clock import wall_now
    start = wall_now() if args.clock == "real" else None  # real mode: simulated now = wall now at start
    h = LiveHarness(names, ports=_ports(args.port), run_dir=Path(args.run_dir), clock_mode=args.clock,
                    rate=args.rate, seed=args.seed, validation=args.validation, start=start)
    h.start()
    print("o2c fakes are up (loopback only):")
    for n in names:
        print(f"  {n:<11} {h.url(n)}")
    print(f"  CA bundle   {h.ca_path}   (REQUESTS_CA_BUNDLE={h.ca_path} for clients of the HTTPS fakes)")
    print(f"  control     <url>/_sim/...  (OpenAPI: <url>/_sim/openapi.json); send the header "
          f"X-Sim-Token: <the token in {h.run_dir / 'control.token'}> (o2c does)")
    print(CREDENTIALS)
    if args.detach:
        print(f"running in the background; stop with `o2c down` (state in {h.run_dir}/run.json)")
        h.procs.clear()  # leave them running
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("press Ctrl-C to stop")
    stop.wait()
    h.stop()
    print("stopped")
    return 0


def cmd_down(args) -> int:
    info = run_file(Path(args.run_dir))
    if not info:
        print("nothing is running")
        return 0
    stopping = {}
    for name, pid in info["pids"].items():
        try:
            os.killpg(pid, signal.SIGTERM)
            stopping[name] = pid
        except ProcessLookupError:
            print(f"{name} (pid {pid}) was not running")
    for name, pid in stopping.items():
        how = "stopped" if _gone(pid, timeout=10.0) else "killed"
        if how == "killed":   # it ignored SIGTERM for 10 s: never leave an orphan behind
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        print(f"{how} {name} (pid {pid})")
    for name in ("run.json", "control.token"):
        path = Path(args.run_dir) / name
        if path.exists():
            path.unlink()
    return 0


def _gone(pid: int, timeout: float) -> bool:
    """Wait (polling, bounded) until the process group ``pid`` has no process left."""
    import time
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        try:   # an exited process waiting to be reaped by its parent (init, after --detach) is gone
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (OSError, IndexError):
            pass
        pause.wait(0.05)
    return False


def cmd_status(args) -> int:
    for name, c in _controls(args).items():
        try:
            h = c.get("/health")
            print(f"{name:<11} up   now={h['now']}  {c.base}")
        except Exception as exc:  # report, keep going
            print(f"{name:<11} DOWN {c.base}: {exc}")
    return 0


def cmd_reset(args) -> int:
    for name, c in _controls(args).items():
        c.reset()
        print(f"reset {name}")
    return 0


def cmd_clock(args) -> int:
    controls = _controls(args)
    if args.action == "advance":
        if not args.value:
            raise SystemExit("o2c clock advance DURATION (e.g. 30d, 2h, 90s)")
        info = run_file(Path(args.run_dir))
        h = LiveHarness(list(controls), ports={n: int(u.rsplit(":", 1)[1]) for n, u in info["urls"].items()
                                               if n in controls}, run_dir=Path(args.run_dir))
        h.ca_path = Path(info["ca"]) if info.get("ca") else None
        h.control_token = _token(info, args)
        ran = h.advance(args.value)
        print(f"advanced {args.value}: {ran} jobs ran")
    elif args.action == "mode":
        for c in controls.values():
            c.post("/clock", {"mode": args.value, "rate": args.rate})
    for name, c in controls.items():
        view = c.clock()
        print(f"{name:<11} now={view['now']} mode={view['mode']} rate={view['rate']} pending={view['pending_jobs']}")
    return 0


def cmd_faults(args) -> int:
    controls = _controls(args)
    if args.action == "add":
        if not args.fake:
            raise SystemExit("faults add needs --fake")
        rule: dict = {"operation": args.operation}
        if args.error:
            rule["error"] = {"code": args.error}
        if args.latency_ms:
            rule["latency"] = {"kind": "fixed", "ms": args.latency_ms}
        if args.drop:
            rule["drop"] = True
        if args.times:
            rule["times"] = args.times
        if args.probability is not None:
            rule["probability"] = args.probability
        print(json.dumps(controls[args.fake].add_fault(**rule), indent=2))
    elif args.action == "clear":
        for name, c in controls.items():
            print(f"{name}: cleared {c.clear_faults()['cleared']}")
    else:
        for name, c in controls.items():
            print(f"{name}: {json.dumps(c.get('/faults')['rules'])}")
    return 0


def cmd_reconcile(args) -> int:
    from .reconcile import Endpoints, main_print, reconcile
    info = run_file(Path(args.run_dir))
    if not info:
        raise SystemExit("no running fakes found: start them with `o2c up --detach` first")
    urls = info["urls"]
    missing = [n for n in ("salesforce", "stripe", "avalara", "erp") if n not in urls]
    if missing:
        raise SystemExit(f"reconciliation reads all four systems; not running: {missing}")
    # the reference integration's control plane, when it runs: its unfinished work is reported too
    integration = None if args.no_integration else (args.integration_url or urls.get("integration"))
    token_file = Path(args.run_dir) / "control.token"
    token = token_file.read_text().strip() if integration and token_file.exists() else None
    ep = Endpoints(urls["salesforce"], urls["stripe"], urls["avalara"], urls["erp"], info.get("ca"),
                   args.system_of_record, integration, token)
    return main_print(reconcile(ep), args.json)


def _integration_client(args):
    from .harness import IntegrationClient
    from .registry import SERVICES
    info = run_file(Path(args.run_dir)) or {}
    url = args.url or (info.get("urls") or {}).get("integration") or f"http://127.0.0.1:{SERVICES['integration'].port}"
    return IntegrationClient(url, verify=info.get("ca") or True, token=info.get("control_token"))


def cmd_integration(args) -> int:
    """The reference integration's own plane: status, dead letters, and retrying them in one go."""
    client = _integration_client(args)
    if args.action == "status":
        print(json.dumps(client.status(), indent=2))
    elif args.action == "dead-letters":
        dead = client.dead_letters()
        if args.json:
            print(json.dumps(dead, indent=2))
        elif not dead:
            print("no dead letters")
        for d in [] if args.json else dead:
            print(f"{d['id']:<8} {d['kind']}:{d['key']}  attempts={d.get('total_attempts', d['attempts'])}  "
                  f"dead at {d['dead_at']}\n         {d['reason'][:300]}")
    else:
        n = client.retry_dead_letters(args.id)
        print(f"resubmitted {n} dead letter{'s' if n != 1 else ''}; they run on the integration's retry schedule")
    return 0


def cmd_experiment(args) -> int:
    from . import experiments
    results = experiments.run(invoices=args.invoices, seed=args.seed, out=Path(args.out))
    print(f"Webhook versus polling: {args.invoices} invoices paid in the 12 hours before the first dunning run "
          f"(seed {args.seed}); latency = payment at Stripe -> Paid in Salesforce, simulated seconds")
    print(experiments.table(results))
    print(f"plot and data: {args.out}/sync_experiment.png, .svg, .json")
    return 0 if all(r.reconciled for r in results) else 1


def cmd_demo(args) -> int:
    from .demo import run
    return run(Path(args.run_dir))


def cmd_steps(args) -> int:
    from .bdd import catalog
    features = Path(args.features)
    sys.stdout.write(catalog.render(features) if args.markdown else catalog.text(features))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="o2c", description="o2c-harness: fakes of Salesforce, ERP, AvaTax, Stripe")
    p.add_argument("--run-dir", default=str(RUN_DIR), help="where run.json, logs and TLS files live (default .o2c)")
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start the fakes as live servers on loopback")
    up.add_argument("--fakes", nargs="*", choices=sorted(FAKES))
    up.add_argument("--port", action="append", metavar="NAME=PORT")
    up.add_argument("--clock", default="real", choices=["frozen", "real", "scaled"])
    up.add_argument("--rate", type=float, default=1.0, help="simulated seconds per real second (scaled)")
    up.add_argument("--seed", default=None,
                    help="an explicit seed makes secrets repeat too (default: ids from 0, secrets random per run)")
    up.add_argument("--validation", default="strict", choices=["strict", "lenient", "off"])
    up.add_argument("--detach", action="store_true", help="leave them running; stop with `o2c down`")
    up.set_defaults(fn=cmd_up)
    sub.add_parser("down", help="stop fakes started with --detach").set_defaults(fn=cmd_down)
    sub.add_parser("status", help="health of the running fakes").set_defaults(fn=cmd_status)
    reset = sub.add_parser("reset", help="empty the running fakes")
    reset.add_argument("--fake", choices=sorted(FAKES))
    reset.set_defaults(fn=cmd_reset)
    clock = sub.add_parser("clock", help="show, advance or set the simulated clock")
    clock.add_argument("action", nargs="?", default="show", choices=["show", "advance", "mode"])
    clock.add_argument("value", nargs="?")
    clock.add_argument("--rate", type=float)
    clock.set_defaults(fn=cmd_clock, fake=None)
    faults = sub.add_parser("faults", help="list, add or clear fault rules")
    faults.add_argument("action", nargs="?", default="list", choices=["list", "add", "clear"])
    faults.add_argument("--fake", choices=sorted(FAKES))
    faults.add_argument("--operation", default="*")
    faults.add_argument("--error")
    faults.add_argument("--latency-ms", type=float)
    faults.add_argument("--drop", action="store_true")
    faults.add_argument("--times", type=int)
    faults.add_argument("--probability", type=float)
    faults.set_defaults(fn=cmd_faults)
    rec = sub.add_parser("reconcile", help="check the cross-system invariants of the running fakes")
    rec.add_argument("--json", action="store_true", help="machine-readable output")
    rec.add_argument("--system-of-record", default="erp", choices=["erp", "salesforce"])
    rec.add_argument("--integration-url", help="the reference integration's URL, to report its unfinished work "
                     "(default: the one `o2c up` started, if any)")
    rec.add_argument("--no-integration", action="store_true",
                     help="judge from the four systems only (your own integration)")
    rec.set_defaults(fn=cmd_reconcile)
    integ = sub.add_parser("integration", help="the reference integration: status, dead letters, retry them")
    integ.add_argument("action", choices=["status", "dead-letters", "retry-dead-letters"])
    integ.add_argument("--id", help="retry-dead-letters: only this dead letter (e.g. dl_3)")
    integ.add_argument("--url", help="the integration's base URL (default: from the run file, else port 8705)")
    integ.add_argument("--json", action="store_true", help="dead-letters: machine-readable output")
    integ.set_defaults(fn=cmd_integration)
    exp = sub.add_parser("experiment", help="measured experiments on the simulated clock")
    exp.add_argument("name", choices=["sync"], help="sync: webhook versus polling")
    exp.add_argument("--invoices", type=int, default=40)
    exp.add_argument("--seed", type=int, default=7)
    exp.add_argument("--out", default="reports")
    exp.set_defaults(fn=cmd_experiment)
    sub.add_parser("demo", help="the main job: start everything live, run the lifecycle, stop").set_defaults(fn=cmd_demo)
    from .load.command import add_parser as add_load   # o2c load: simulators/load/
    add_load(sub)
    steps = sub.add_parser("steps", help="the Gherkin step library's catalogue (every step sentence, by capability)")
    steps.add_argument("--features", default="features", help="feature files to draw examples from (default: ./features)")
    steps.add_argument("--markdown", action="store_true", help="as Markdown (docs/steps.md)")
    steps.set_defaults(fn=cmd_steps)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args) or 0
    except RuntimeError as exc:   # a control plane refused the request: say why, without a traceback
        raise SystemExit(f"o2c: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
