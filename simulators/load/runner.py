"""``o2c load``, one sync mode: on the fakes and the reference integration live on a scaled clock
(``systems.py``: started once, reset between modes; or the running fakes and your own integration),
run Locust as a subprocess, collect the late timings, and reconcile the four systems.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time as _wall  # the load generator's own wall time; simulators never read it
from pathlib import Path
from typing import Any

import psutil

from ..registry import free_port
from .systems import FAKES, Systems, control
from .timings import Observer, SimTime, Tracker, wait_deadline

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


class Run:
    """One sync mode's run."""

    def __init__(self, args, sync: str, out: Path, systems: Systems):
        self.args, self.sync, self.out, self.systems = args, sync, out, systems
        self.external = systems.external
        self.h: Any = None
        self.procs: dict[str, psutil.Process] = {}

    # ---- the systems -------------------------------------------------------------------------
    def start(self) -> None:
        """The fakes and the integration, ready for this mode (started, or reset from the mode before)."""
        self.h, self.procs = self.systems.for_mode(self.sync)

    def cpu(self) -> float:
        total = 0.0
        for p in self.procs.values():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    # ---- Locust --------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        a = self.args
        anchor = control(self.h, "stripe", "GET", "/_sim/clock")
        return {"urls": {n: self.h.url(n) for n in FAKES}, "ca": str(self.h.ca_path) if self.h.ca_path else None,
                "anchor": {k: anchor[k] for k in ("mode", "rate", "sim_anchor", "wall_anchor")},
                "sync": self.sync, "tag": self.sync, "out": str(self.out),
                "deadline_s": wait_deadline(a.poll_interval, float(anchor.get("rate") or 1), self.sync),
                "users": a.users, "spawn_rate": a.spawn_rate, "run_time_s": a.run_time_s,
                "rep_pacing": a.rep_pacing, "progress": True, "progress_interval": 5,
                "until_lifecycles": getattr(a, "until_lifecycles", 0),
                "token": getattr(self.h, "control_token", None)}

    def locust(self, cfg: dict[str, Any]) -> tuple[int, float, float]:
        """Run Locust headless; returns (exit code, wall seconds, the load generator's CPU seconds)."""
        a = self.args
        cfg_path = self.out / "config.json"
        cfg_path.write_text(json.dumps(cfg, indent=2))
        cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(a.users),
               "-r", str(a.spawn_rate), "-t", f"{a.run_time_s}s", "--stop-timeout", "2", "--only-summary",
               "--csv", str(self.out / "locust"), "--csv-full-history", "--html", str(self.out / "locust.html"),
               "--json-file", str(self.out / "locust"), "--loglevel", "WARNING"]
        if a.processes and a.processes > 1:
            # the master's port for its workers is a free one, not Locust's fixed 5557: two runs on one machine
            # (e.g. parallel test workers) must not take each other's workers or fail to bind
            port = str(free_port())
            cmd += ["--processes", str(a.processes), "--master-bind-port", port, "--master-port", port]
        env = {**os.environ, "O2C_LOAD_CONFIG": str(cfg_path), "PYTHONUNBUFFERED": "1"}
        if a.shape:
            env["O2C_LOAD_SHAPE"] = a.shape
        log = open(self.out / "locust.log", "w")
        t0 = _wall.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        cpu: dict[int, float] = {}
        stop = threading.Event()

        def sample():   # the load generator's own CPU, summed over its processes (forked workers too)
            root = psutil.Process(proc.pid)
            while not stop.wait(0.5):
                try:
                    for p in [root] + root.children(recursive=True):
                        t = p.cpu_times()
                        cpu[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            for line in proc.stdout:
                log.write(line)
                if line.startswith(f"[{self.sync}]"):
                    print("  " + line.rstrip(), flush=True)
        except KeyboardInterrupt:
            proc.terminate()   # Ctrl-C: stop Locust (its own process), then the harness (caller's finally)
            raise
        code = proc.wait()
        if code:
            print(f"  Locust exited with {code}; its log: {self.out / 'locust.log'}", flush=True)
        stop.set()
        sampler.join()
        log.close()
        return code, _wall.monotonic() - t0, sum(cpu.values())

    # ---- after the run -------------------------------------------------------------------------------
    def collect(self, cfg: dict[str, Any]) -> Tracker:
        """Merge every Locust process's timings; keep watching the pending ones until their deadlines
        (late webhooks and polls), then count what is left as unfinished."""
        tracker = Tracker(cfg["deadline_s"])
        for f in sorted(self.out.glob("e2e-*.json")):
            tracker.merge(json.loads(f.read_text()))
        from .session import observer_conns
        observer, clock = Observer(*observer_conns(cfg)), SimTime(cfg["anchor"])
        pause = threading.Event()
        while tracker.pending:
            observer.poll(tracker, clock)
            tracker.expire(_wall.time())
            if tracker.pending:
                pause.wait(0.2)
        return tracker

    def quiesce(self, timeout: float) -> int:
        """The reference integration finishes its queued work before the books are judged (bounded).
        Returns the jobs still queued when the books were judged (0 when it went idle)."""
        if self.external:
            return 0
        deadline = _wall.monotonic() + timeout
        pause = threading.Event()
        while True:
            pending = control(self.h, "integration", "GET", "/_integration/status").get("pending", 0)
            if pending == 0 or _wall.monotonic() >= deadline:
                return pending
            pause.wait(0.2)

    def limits_refused(self) -> dict[str, int]:
        return {n: control(self.h, n, "GET", "/_sim/limits").get("refused", 0) for n in FAKES}


def run_mode(args, sync: str, out: Path, systems: Systems) -> dict[str, Any]:
    """One sync mode on ``systems`` (started for the first mode, reset for the next): Locust, the late
    timings, then this mode's own books and CPU, judged before the systems move on."""
    from ..reconcile import Endpoints, reconcile
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("e2e-*.json"):
        old.unlink()
    r = Run(args, sync, out, systems)
    what = "the fakes" + ("" if r.external else " and the reference integration")
    verb = "resetting" if systems.h is not None and not r.external else "starting"
    print(f"== {sync}: {verb} {what} (clock x{args.clock_rate}, poll every {args.poll_interval:g} simulated s) ...",
          flush=True)
    r.start()
    cfg = r.config()
    cpu0 = r.cpu()
    print(f"== {sync}: {args.users} users for {args.run_time_s}s" +
          (f" on {args.processes} processes" if args.processes > 1 else ""), flush=True)
    code, wall_s, gen_cpu = r.locust(cfg)
    tracker = r.collect(cfg)
    backlog = r.quiesce(3 * cfg["deadline_s"])
    if backlog:
        print(f"== {sync}: the integration still had {backlog} queued jobs when the books were judged", flush=True)
    harness_cpu = r.cpu() - cpu0
    report = reconcile(Endpoints.for_harness(r.h))
    refused = r.limits_refused()
    systems.mode_done(backlog)
    (out / "reconciliation.json").write_text(json.dumps(report.to_json(), indent=2, default=str))
    return {"tracker": tracker, "report": report, "locust_exit": code, "wall_s": wall_s, "generator_cpu_s": gen_cpu,
            "harness_cpu_s": harness_cpu, "limits_refused": refused, "config": cfg, "out": out,
            "integration_backlog": backlog}
