"""``o2c up``, ``o2c down``, ``o2c status``: start the fakes, stop everything that was started, and
say which are up. ``up`` refuses, changing nothing on disk, when a run is already active in the run
directory or a port is taken."""
from __future__ import annotations

import errno
import os
import signal
import socket
import threading
import time
from pathlib import Path

from ..registry import FAKES, SERVICES, available
from .common import CliError, controls, run_info

CREDENTIALS = """Default credentials (every fake accepts these out of the box):
  Stripe      any secret key starting sk_test_ (e.g. sk_test_o2c); webhook secrets whsec_... are returned on create
  AvaTax      HTTP Basic <numeric account id>:<non-empty license key>, or username:password
  Salesforce  integration@o2c.test / o2c-password + security token O2CTOKEN; client o2c-client-id / o2c-client-secret
              (finance@o2c.test, same password and token: the invoice mirror is read-only for it)
  ERP         account O2C_SB1; consumer o2c-consumer-key / o2c-consumer-secret; token o2c-token-id / o2c-token-secret
              (OAuth 1.0a HMAC-SHA256), or Bearer o2c-erp-token
  Portal      billing@<customer key in lower case>.o2c.test / o2c-portal-password (e.g. billing@acme-irvine.o2c.test)"""


def parse_ports(pairs: list[str] | None) -> dict[str, int]:
    out = {}
    for pair in pairs or []:
        name, _, port = pair.partition("=")
        if name not in FAKES or not port.isdigit() or not 0 < int(port) < 65536:
            raise CliError(f"--port wants NAME=PORT with NAME one of {', '.join(sorted(FAKES))} and PORT 1-65535, "
                           f"not {pair!r}")
        out[name] = int(port)
    return out


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # an exited child nobody has reaped yet is not running
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def port_owner(port: int) -> str:
    """Who listens on a loopback port: "pid 123 (python3)", or "another process" if it cannot be told."""
    try:
        import psutil
        for conn in psutil.net_connections(kind="inet"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                try:
                    return f"pid {conn.pid} ({psutil.Process(conn.pid).name()})"
                except psutil.Error:
                    return f"pid {conn.pid}"
    except Exception:  # psutil may be refused the table on some systems: the port is still named
        pass
    return "another process"


def check_free(ports: dict[str, int]) -> None:
    for name, port in ports.items():
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                    raise
                raise CliError(f"port {port} for {name} is taken by {port_owner(port)}; stop it (`o2c down` if it "
                               f"is a run of ours) or choose another port: --port {name}=<free port>") from None


def check_no_active_run(run_dir: Path) -> None:
    info = run_info(run_dir)
    if not info:
        return
    running = {n: pid for n, pid in (info.get("pids") or {}).items() if alive(pid)}
    if running:
        listing = ", ".join(f"{n} pid {pid}" for n, pid in sorted(running.items()))
        raise CliError(f"fakes are already running from {run_dir} ({listing}); stop them with `o2c down`, "
                       f"or start another run with --run-dir and other --port values")


def cmd_up(args) -> int:
    from ..core.clock import wall_now
    from ..harness import LiveHarness
    names = args.fakes or available()
    run_dir = Path(args.run_dir).resolve()
    ports = {n: SERVICES[n].port for n in names}
    ports.update({n: p for n, p in parse_ports(args.port).items() if n in ports})
    check_no_active_run(run_dir)        # both before anything is written
    check_free(ports)
    start = wall_now() if args.clock == "real" else None  # real mode: simulated now = wall now at start
    h = LiveHarness(names, ports=ports, run_dir=run_dir, clock_mode=args.clock, rate=args.rate, seed=args.seed,
                    validation=args.validation, start=start)
    h.start()
    print("o2c fakes are up (loopback only):")
    for n in names:
        print(f"  {n:<11} {h.url(n)}")
    if "salesforce" in names:
        print(f"  portal      {h.url('salesforce')}/billing/s/login   (the customer billing portal)")
    print(f"  CA bundle   {h.ca_path}   (give it to your HTTPS clients' sessions: see the README)")
    print(f"  control     <url>/_sim/...  (OpenAPI: <url>/_sim/openapi.json); send the header "
          f"X-Sim-Token: <the token in {h.run_dir / 'control.token'}> (o2c does)")
    print(CREDENTIALS)
    if args.detach:
        print(f"running in the background; stop with `o2c down` (state in {h.run_dir / 'run.json'})")
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


def gone(pid: int, timeout: float) -> bool:
    """Wait (bounded) until the process group ``pid`` has no running process left."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        if not alive(pid):
            return True
        pause.wait(0.05)
    return False


def cmd_down(args, grace: float = 10.0) -> int:
    run_dir = Path(args.run_dir)
    info = run_info(run_dir)
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
        how = "stopped" if gone(pid, timeout=grace) else "killed"
        if how == "killed":   # it ignored SIGTERM: never leave an orphan behind
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            gone(pid, timeout=grace)
        print(f"{how} {name} (pid {pid})")
    for name in ("run.json", "control.token"):
        path = run_dir / name
        if path.exists():
            path.unlink()
    return 0


def cmd_status(args) -> int:
    """Exit status 1 when any fake of the run is down."""
    down = 0
    for name, c in controls(args).items():
        try:
            h = c.get("/health")
            print(f"{name:<11} up   now={h['now']}  {c.base}")
        except Exception as exc:  # report every fake, then say it with the exit status
            down += 1
            print(f"{name:<11} DOWN {c.base}: {str(exc).splitlines()[0][:200]}")
    return 1 if down else 0


def add_parsers(sub, fmt) -> None:
    up = sub.add_parser("up", help="start the fakes as live servers on loopback", formatter_class=fmt)
    up.add_argument("--fakes", nargs="*", choices=sorted(FAKES), metavar="FAKE",
                    help=f"which fakes to start, of {', '.join(sorted(FAKES))} (default: all)")
    up.add_argument("--port", action="append", metavar="NAME=PORT",
                    help="another port for one fake, repeatable (defaults: " +
                         ", ".join(f"{n}={s.port}" for n, s in FAKES.items()) + ")")
    up.add_argument("--clock", default="real", choices=["frozen", "real", "scaled"],
                    help="simulated clock: real (wall time), frozen (moves only when advanced), scaled (--rate)")
    up.add_argument("--rate", type=float, default=1.0, help="simulated seconds per real second (scaled clock)")
    up.add_argument("--seed", default=None,
                    help="an explicit seed makes secrets repeat too (default: ids from 0, secrets random per run)")
    up.add_argument("--validation", default="strict", choices=["strict", "lenient", "off"],
                    help="request schema validation: strict answers the vendor's 400, lenient records violations")
    up.add_argument("--detach", action="store_true", help="leave them running in the background; stop with `o2c down`")
    up.set_defaults(fn=cmd_up)
    sub.add_parser("down", help="stop the fakes of the run (SIGKILL after 10 s for one that ignores SIGTERM)",
                   formatter_class=fmt).set_defaults(fn=cmd_down)
    sub.add_parser("status", help="health of the running fakes (exit status 1 when any is down)",
                   formatter_class=fmt).set_defaults(fn=cmd_status)
