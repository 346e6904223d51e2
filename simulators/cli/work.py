"""Commands that judge and run work: ``o2c reconcile``, ``o2c integration``, ``o2c experiment``,
``o2c demo``, ``o2c steps``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import CliError, run_info


def cmd_reconcile(args) -> int:
    from ..reconcile import Endpoints, main_print, reconcile
    info = run_info(Path(args.run_dir))
    if not info:
        raise CliError(f"no running fakes found in {args.run_dir}: start them with `o2c up --detach` first")
    urls = info["urls"]
    missing = [n for n in ("salesforce", "stripe", "avalara", "erp") if n not in urls]
    if missing:
        raise CliError(f"reconciliation reads all four systems; not running: {', '.join(missing)}")
    # the reference integration's control plane, when it runs: its unfinished work is reported too
    integration = None if args.no_integration else (args.integration_url or urls.get("integration"))
    token = info.get("control_token") if integration else None
    ep = Endpoints(urls["salesforce"], urls["stripe"], urls["avalara"], urls["erp"], info.get("ca"),
                   args.system_of_record, integration, token)
    return main_print(reconcile(ep), args.json)


def _integration_client(args):
    from ..harness import IntegrationClient
    from ..registry import SERVICES
    info = run_info(Path(args.run_dir)) or {}
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
    from .. import experiments
    results = experiments.run(invoices=args.invoices, seed=args.seed, out=Path(args.out))
    print(f"Webhook versus polling: {args.invoices} invoices paid in the 12 hours before the first dunning run "
          f"(seed {args.seed}); latency = payment at Stripe -> Paid in Salesforce, simulated seconds")
    print(experiments.table(results))
    print(f"plot and data: {args.out}/sync_experiment.png, .svg, .json")
    return 0 if all(r.reconciled for r in results) else 1


def cmd_demo(args) -> int:
    from ..demo import run
    from .run import check_no_active_run
    check_no_active_run(Path(args.run_dir).resolve())   # the demo starts its own fakes (free ports): never over a run
    return run(Path(args.run_dir))


def cmd_steps(args) -> int:
    from ..bdd import catalog
    features = Path(args.features)
    sys.stdout.write(catalog.render(features) if args.markdown else catalog.text(features))
    return 0


def add_parsers(sub, fmt) -> None:
    rec = sub.add_parser("reconcile", help="check the cross-system invariants of the running fakes (exit 1 when the "
                                           "books do not reconcile)", formatter_class=fmt)
    rec.add_argument("--json", action="store_true", help="machine-readable output")
    rec.add_argument("--system-of-record", default="erp", choices=["erp", "salesforce"],
                     help="where invoices originate")
    rec.add_argument("--integration-url", help="the reference integration's URL, to report its unfinished work "
                     "(default: the one `o2c up` started, if any)")
    rec.add_argument("--no-integration", action="store_true",
                     help="judge from the four systems only (your own integration)")
    rec.set_defaults(fn=cmd_reconcile)
    integ = sub.add_parser("integration", help="the reference integration: status, dead letters, retry them",
                           formatter_class=fmt)
    integ.add_argument("action", choices=["status", "dead-letters", "retry-dead-letters"],
                       help="status; list the dead letters; put them (or --id) back on the queue")
    integ.add_argument("--id", help="retry-dead-letters: only this dead letter (e.g. dl_3)")
    integ.add_argument("--url", help="the integration's base URL (default: from the run file, else port 8705)")
    integ.add_argument("--json", action="store_true", help="dead-letters: machine-readable output")
    integ.set_defaults(fn=cmd_integration)
    exp = sub.add_parser("experiment", help="measured experiments on the simulated clock", formatter_class=fmt)
    exp.add_argument("name", choices=["sync"], help="sync: webhook versus polling")
    exp.add_argument("--invoices", type=int, default=40, help="invoices paid per mode")
    exp.add_argument("--seed", type=int, default=7, help="seed of the payment times")
    exp.add_argument("--out", default="reports", help="where the table, plot and data go")
    exp.set_defaults(fn=cmd_experiment)
    sub.add_parser("demo", help="the main job: start everything live, run the lifecycle, stop",
                   formatter_class=fmt).set_defaults(fn=cmd_demo)
    steps = sub.add_parser("steps", help="the Gherkin step library's catalogue (every step sentence, by capability)",
                           formatter_class=fmt)
    steps.add_argument("--features", default="features", help="feature files to draw examples from")
    steps.add_argument("--markdown", action="store_true", help="as Markdown (docs/steps.md)")
    steps.set_defaults(fn=cmd_steps)
