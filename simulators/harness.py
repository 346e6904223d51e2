"""Wires the fakes (and later the integration) together, in-process or live.

In-process (``InProcessHarness``): every fake is a WSGI app in this process, sharing one
simulated clock; ``responses`` routes the vendors' real hostnames to them. Deterministic, no
sockets, no threads.

Live (``LiveHarness``): every fake is its own server process on loopback (Salesforce over HTTPS
with a local CA made by trustme). The harness broadcasts one clock anchor so every process
computes the same ``now``, and advances frozen clocks in lockstep so due jobs run in time order
across systems.

Both give the same surface: ``url(name)``, ``control(name)``, ``settle()``, ``advance()``,
``wait_until()``, ``reset()``.

Live, the control planes need the run's token: ``LiveHarness`` makes a random one per run, writes
it (mode 0600) to ``<run dir>/control.token``, hands it to every server process in the environment
and sends it as ``X-Sim-Token`` from ``control(name)``; ``control_headers()`` gives the header for
other clients. In-process there is no network, so no token (``control_token`` is None).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time as _wall  # only for wait_until's real-time deadline and process start-up
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

import requests

from .core.clock import SimClock, iso, parse_duration, parse_instant
from .core.sim import TOKEN_ENV, TOKEN_HEADER
from .control_clients import ControlClient, IntegrationClient
from .core.transport import InProcessRouter
from .registry import FAKES, SERVICES, available, create

RUN_DIR = Path(os.environ.get("O2C_HOME", ".o2c"))
TOKEN_FILE = "control.token"


def write_private(path: Path, data: bytes | str) -> Path:
    """Write a file only its owner can read (0600), even when it existed before with wider rights."""
    raw = data.encode() if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, raw)
    finally:
        os.close(fd)
    return path


def make_tls(where: Path) -> tuple[Path, Path, Path]:
    """A local CA and a server certificate for 127.0.0.1 / localhost / ::1 (trustme), written under
    ``where``: (CA certificate, server certificate chain, private key written 0600)."""
    import trustme

    where.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="o2c-harness local CA")
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    ca_path = where / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    certfile, keyfile = where / "server.pem", where / "server.key"
    write_private(keyfile, cert.private_key_pem.bytes())
    with open(certfile, "wb") as fh:
        for blob in cert.cert_chain_pems:
            fh.write(blob.bytes())
    return ca_path, certfile, keyfile


class WaitTimeout(AssertionError):
    pass


class _Base:
    names: list[str]
    control_token: str | None = None

    def control_headers(self) -> dict[str, str]:
        """The header a client of ``/_sim`` or ``/_integration`` sends (empty in-process)."""
        return {TOKEN_HEADER: self.control_token} if self.control_token else {}

    def integration(self) -> IntegrationClient:
        """The reference integration's ``/_integration`` plane (when the harness hosts it)."""
        ctl = self.control("integration")
        return IntegrationClient(self.url("integration"), ctl.http, verify=ctl.verify, token=self.control_token)

    def retry_dead_letters(self, dead_id: str | None = None) -> int:
        """``o2c integration retry-dead-letters`` for tests: resubmit, then settle."""
        n = self.integration().retry_dead_letters(dead_id)
        self.settle()
        return n

    def url(self, name: str) -> str:
        raise NotImplementedError

    def control(self, name: str) -> ControlClient:
        raise NotImplementedError

    def reset(self) -> None:
        for name in self.names:
            self.control(name).reset()

    def salesforce_jwt_key(self) -> str:
        """The private key (PEM) of the Salesforce fake's default connected-app certificate, to sign
        JWT bearer assertions with (None once a user registered their own certificate)."""
        return self.control("salesforce").get("/salesforce/jwt-certificate")["private_key"]

    def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition",
                   interval: float = 0.02) -> Any:
        """Wait for ``condition()`` to be truthy: settles the systems and re-checks until the
        real-time ``timeout``. Never a fixed sleep: it returns as soon as the condition holds."""
        deadline = _wall.monotonic() + timeout
        pause = threading.Event()
        while True:
            self.settle()
            value = condition()
            if value:
                return value
            if _wall.monotonic() >= deadline:
                raise WaitTimeout(f"timed out after {timeout}s waiting for {what}")
            pause.wait(interval)


class InProcessHarness(_Base):
    def __init__(self, fakes: Iterable[str] | None = None, seed: int | str | None = None,
                 start: datetime | None = None,
                 validation: str = "strict", integration: dict[str, Any] | None = None,
                 **fake_options: dict[str, Any]):
        """``integration``: settings for the reference integration (e.g. ``{"payment_sync": "polling"}``);
        None leaves it out, so a user's own integration can be tested instead."""
        self.clock = SimClock(start) if start else SimClock()
        self.names = list(fakes) if fakes is not None else available()
        if integration is not None:
            self.names.append("integration")
        self.apps = {name: create(name, clock=self.clock, seed=seed, validation=validation,
                                  **(integration if name == "integration" else fake_options.get(name, {})))
                     for name in self.names}
        self.router = InProcessRouter()
        for name, app in self.apps.items():
            self.router.add(SERVICES[name].hosts, app)
        self._session = requests.Session()
        self._session.trust_env = False   # in process or on loopback: no proxy from the environment
        self.mode = "in-process"
        self._added: dict[str, Any] = {}   # apps of add_app: gone again after reset()

    def add_app(self, name: str, app, hosts: Iterable[str]) -> None:
        """Route more hostnames (e.g. a test's webhook receiver) to another in-process WSGI app,
        until ``reset()``."""
        if name in self.names:
            raise ValueError(f"{name} is one of the harness's own systems")
        if name in self._added:
            self.router.remove(self._added[name])
        self.apps[name] = self._added[name] = app
        self.router.add(hosts, app)

    def reset(self) -> None:
        """The clock back to its start (instant, mode and rate as built), every system as it was built
        (``/_sim/reset`` on each, which schedules its own daily jobs from the start again), and the
        apps added with ``add_app`` no longer routed."""
        for name, app in self._added.items():
            self.router.remove(app)
            self.apps.pop(name, None)
        self._added.clear()
        self.clock.restart()
        super().reset()

    def start(self) -> "InProcessHarness":
        self.router.start()
        return self

    def stop(self) -> None:
        self.router.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, name: str) -> str:
        return SERVICES[name].inprocess_url

    def sim(self, name: str):
        return self.apps[name].extensions["sim"]

    def control(self, name: str) -> ControlClient:
        return ControlClient(self.url(name), self._session)

    def now(self) -> datetime:
        return self.clock.now()

    def settle(self) -> int:
        return self.clock.run_due()

    def advance(self, duration) -> int:
        return self.clock.advance(duration)

    def advance_to(self, when: datetime) -> int:
        return self.clock.advance_to(when)


class LiveHarness(_Base):
    """Starts each fake as a server process on loopback and stops them all on ``stop()``."""

    def __init__(self, fakes: Iterable[str] | None = None, seed: int | str | None = None,
                 ports: dict[str, int] | None = None,
                 run_dir: Path = RUN_DIR, validation: str = "strict", clock_mode: str = "frozen",
                 rate: float = 1.0, start: datetime | None = None, threads: int = 8,
                 integration: dict[str, Any] | None = None):
        self.names = list(fakes) if fakes is not None else available()
        self.integration = integration
        if integration is not None:
            self.names.append("integration")
        self.ports = {name: (ports or {}).get(name, SERVICES[name].port) for name in self.names}
        self.run_dir = Path(run_dir).resolve()   # run files name absolute paths
        self.seed, self.validation, self.threads = seed, validation, threads
        self.clock_mode, self.rate, self.start_at = clock_mode, rate, start
        self._started_at: datetime | None = None   # the simulated instant start() anchored the servers at
        self.procs: dict[str, subprocess.Popen] = {}
        self.ca_path: Path | None = None
        self.control_token: str | None = secrets.token_urlsafe(32)   # per run; written 0600 at start
        self._session = requests.Session()
        self._session.trust_env = False   # in process or on loopback: no proxy from the environment
        self.mode = "live"

    # ---- TLS ----------------------------------------------------------------------------
    def _make_tls(self) -> tuple[Path, Path]:
        self.ca_path, certfile, keyfile = make_tls(self.run_dir / "tls")
        return certfile, keyfile

    def url(self, name: str) -> str:
        scheme = "https" if SERVICES[name].tls else "http"
        return f"{scheme}://127.0.0.1:{self.ports[name]}"

    def control(self, name: str) -> ControlClient:
        return ControlClient(self.url(name), self._session, verify=str(self.ca_path) if self.ca_path else True,
                             token=self.control_token)

    def reset(self) -> None:
        """Every server's clock back to the instant this harness started it at (with the harness's
        mode and rate, one anchor for all), then every server as it was started (``/_sim/reset``,
        which leaves the clock and schedules daily jobs from the start again)."""
        self.sync_clocks(at=self._started_at)
        super().reset()

    def start(self) -> "LiveHarness":
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_private(self.run_dir / TOKEN_FILE, self.control_token)
        env = {**os.environ, TOKEN_ENV: self.control_token}
        if "stripe" in self.ports:   # the Salesforce fake's billing portal pays through the Stripe fake
            env["O2C_PORTAL_STRIPE_URL"] = self.url("stripe")
        certfile, keyfile = self._make_tls()
        logs = self.run_dir / "logs"
        logs.mkdir(exist_ok=True)
        try:
            for name in self.names:
                cmd = [sys.executable, "-m", "simulators.core.server", name, "--port", str(self.ports[name]),
                       "--validation", self.validation, "--threads", str(self.threads)]
                if self.seed is not None:
                    cmd += ["--seed", str(self.seed)]
                if SERVICES[name].tls:
                    cmd += ["--certfile", str(certfile), "--keyfile", str(keyfile)]
                if name == "integration":
                    cmd += ["--config", str(self._integration_config())]
                log = open(logs / f"{name}.log", "wb")
                self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                                    start_new_session=True, env=env)
            for name in self.names:
                self._await_health(name)
            self._started_at = parse_instant(self.sync_clocks()["now"])
            self._write_run_file()
        except Exception:
            self.stop()
            raise
        return self

    def _integration_config(self) -> Path:
        settings = {"salesforce_url": self.url("salesforce") if "salesforce" in self.ports else None,
                    "stripe_url": self.url("stripe") if "stripe" in self.ports else None,
                    "avalara_url": self.url("avalara") if "avalara" in self.ports else None,
                    "erp_url": self.url("erp") if "erp" in self.ports else None,
                    "own_url": self.url("integration"), "ca_bundle": str(self.ca_path)}
        settings = {k: v for k, v in settings.items() if v is not None}
        settings.update(self.integration or {})
        # may carry credentials (a user's settings): owner-only, like every run file
        return write_private(self.run_dir / "integration.json", json.dumps(settings, indent=2))

    def _await_health(self, name: str, timeout: float = 30.0) -> None:
        deadline = _wall.monotonic() + timeout
        pause = threading.Event()
        while _wall.monotonic() < deadline:
            proc = self.procs[name]
            if proc.poll() is not None:
                log = (self.run_dir / "logs" / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log}")
            try:
                if self.control(name).get("/health").get("ok"):
                    return
            except (requests.RequestException, RuntimeError):
                pass
            pause.wait(0.05)
        raise RuntimeError(f"{name} did not answer /_sim/health within {timeout}s")

    def sync_clocks(self, at: datetime | None = None) -> dict[str, Any]:
        """Broadcast one anchor so every process computes the same simulated now (``at``, else the
        harness's start option, else the first server's now)."""
        anchor_sim = at or self.start_at or parse_instant(self.control(self.names[0]).clock()["now"])
        body = {"now": iso(anchor_sim), "mode": self.clock_mode, "rate": self.rate,
                "wall_anchor": _wall.time(), "force": True}
        for name in self.names:
            self.control(name).post("/clock", body)
        return body

    def _write_run_file(self) -> None:
        info = {"urls": {n: self.url(n) for n in self.names}, "pids": {n: p.pid for n, p in self.procs.items()},
                "ca": str(self.ca_path) if self.ca_path else None}
        write_private(self.run_dir / "run.json", json.dumps(info, indent=2))

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
        for name in ("run.json", TOKEN_FILE):
            path = self.run_dir / name
            if path.exists():
                path.unlink()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def now(self) -> datetime:
        return parse_instant(self.control(self.names[0]).clock()["now"])

    def settle(self) -> int:
        return sum(self.control(n).post("/clock/settle")["jobs_run"] for n in self.names)

    def advance(self, duration) -> int:
        return self.advance_to(self.now() + parse_duration(duration))

    def advance_to(self, target: datetime) -> int:
        """Lockstep: move every process to the earliest due job anywhere, run it, repeat."""
        ran = 0
        while True:
            dues = [self.control(n).clock()["next_due"] for n in self.names]
            due = min((parse_instant(d) for d in dues if d), default=None)
            step = due if due is not None and due <= target else target
            for name in self.names:
                ran += self.control(name).post("/clock/advance", {"to": iso(step)})["jobs_run"]
            if step >= target:
                return ran


def run_file(run_dir: Path = RUN_DIR) -> dict[str, Any] | None:
    """What ``o2c up`` left in the run dir: urls, pids, the CA, and the control token
    (``control_token``, read from ``control.token``; None when the file is not readable)."""
    path = Path(run_dir) / "run.json"
    if not path.exists():
        return None
    info = json.loads(path.read_text())
    try:
        info["control_token"] = (Path(run_dir) / TOKEN_FILE).read_text().strip() or None
    except OSError:
        info["control_token"] = None
    return info
