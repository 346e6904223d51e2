"""The ``o2c`` command: start the fakes, run the demo, and drive the control plane.

    o2c up [--detach] [--fakes avalara stripe ...] [--port avalara=9703] [--clock scaled --rate 60]
    o2c down | status | reset
    o2c clock [show | advance 30d | mode scaled --rate 3600]
    o2c faults list | clear | operations --fake stripe | errors --fake stripe
    o2c faults add --fake avalara --operation transactions.create --error RequestLimitExceeded --times 2
    o2c violations [--json]
    o2c reconcile [--json] [--integration-url URL | --no-integration]
    o2c integration status | dead-letters [--json] | retry-dead-letters [--id dl_3] [--url URL]
    o2c experiment sync [--invoices 40] [--seed 7]
    o2c demo
    o2c steps [--markdown]
    o2c load [--sync both] [--users 12] [--run-time 60s] [--clock-rate 60] [--slo load/slo.yaml]

A failing command prints one line and exits non-zero; ``--debug`` shows the traceback instead.
Only the standard library is imported until a command runs, so a broken installation is reported,
not a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

from .common import CliError

RUN_DIR_DEFAULT = os.environ.get("O2C_HOME", ".o2c")
_CONTROL_ANSWER = re.compile(r"^(\w+ \S+) -> (\d{3}): (.*)$", re.S)


class _Formatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it has none or says it already."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: {action.default})"


def build_parser() -> argparse.ArgumentParser:
    from ..load.command import add_parser as add_load   # o2c load: simulators/load/
    from . import plane, run, work
    p = argparse.ArgumentParser(prog="o2c", formatter_class=_Formatter,
                                description="o2c-harness: fakes of Salesforce, an ERP (NetSuite shape), AvaTax and "
                                            "Stripe, the reference integration and its judge")
    p.add_argument("--run-dir", default=RUN_DIR_DEFAULT,
                   help="where run.json, control.token, logs and TLS files live (or set O2C_HOME)")
    p.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    run.add_parsers(sub, _Formatter)
    plane.add_parsers(sub, _Formatter)
    work.add_parsers(sub, _Formatter)
    add_load(sub, _Formatter)
    return p


def _one_line(exc: BaseException) -> str:
    """A failure as one line: a control plane's refusal by its own words, anything else by its message."""
    text = str(exc).strip()
    m = _CONTROL_ANSWER.match(text)
    if m:
        try:
            body = json.loads(m.group(3))
            text = f"{m.group(1)} refused ({m.group(2)}): {body.get('error', body) if isinstance(body, dict) else body}"
        except ValueError:
            pass
    first = text.splitlines()[0] if text else type(exc).__name__
    if type(exc).__name__ == "ConnectionError" and getattr(exc, "request", None) is not None:
        url = exc.request.url.split("/_", 1)[0]
        return f"cannot reach {url}: is it running? (o2c status; `o2c up` starts the fakes, not the integration)"
    return first if isinstance(exc, CliError) else f"{type(exc).__name__}: {first}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return args.fn(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:   # `o2c ... | head`: the reader left; stop quietly, as a Unix tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except ModuleNotFoundError as exc:
        if debug:
            raise
        raise SystemExit(f"o2c: the installation is incomplete: no module named {exc.name!r}. Reinstall o2c-harness "
                         f"(in a checkout: make clean && make test)") from None
    except CliError as exc:
        if debug:
            raise
        raise SystemExit(f"o2c: {_one_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - one clear line, the traceback with --debug
        if debug:
            raise
        raise SystemExit(f"o2c: {_one_line(exc)} (--debug shows the traceback)") from None


__all__ = ["main", "build_parser", "CliError"]
