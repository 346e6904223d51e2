"""What every ``o2c`` command shares: its one-line error, the run file and the control clients."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit status 1 (no traceback)."""


def run_info(run_dir: Path) -> dict[str, Any] | None:
    from ..harness import run_file
    try:
        return run_file(Path(run_dir))
    except (OSError, json.JSONDecodeError) as exc:
        raise CliError(f"cannot read the run file in {run_dir}: {exc}") from None


def token(info: dict, run_dir: Path) -> str:
    """The run's control token, from <run dir>/control.token (written 0600 by `o2c up`)."""
    value = info.get("control_token")
    if not value:
        raise CliError(f"cannot read the control token in {Path(run_dir) / 'control.token'}: "
                       "run o2c as the user who started the fakes")
    return value


def controls(args) -> dict:
    """One control client per fake of the running run (or just ``--fake``)."""
    from ..harness import ControlClient
    info = run_info(Path(args.run_dir))
    if not info:
        raise CliError(f"no running fakes found in {args.run_dir}: start them with `o2c up --detach` first")
    fake = getattr(args, "fake", None)
    if fake and fake not in info["urls"]:
        raise CliError(f"{fake} is not part of the run in {args.run_dir} (running: {', '.join(info['urls'])})")
    names = [fake] if fake else list(info["urls"])
    verify = info.get("ca") or True
    tok = token(info, Path(args.run_dir))
    return {n: ControlClient(info["urls"][n], verify=verify, token=tok) for n in names}
