"""The systems under a load run: the fakes and the reference integration, started once for every
sync mode of an ``o2c load`` run and reset between modes (or the fakes of ``o2c up`` and your own
integration, used as they are).

Between two modes every fake and the integration go back to their seeded state through their
control planes (``/_sim/reset``), and the integration is switched to the next mode's payment sync
(``/_integration/config``) and installed again (the Stripe webhook endpoint, or the poll; the
Salesforce Outbound Message), so each mode's books start empty and are judged on their own. When
the integration still had queued work at the end of a mode, the systems are stopped instead and the
next mode starts them afresh: unfinished work of one mode never lands in the next mode's books.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
import requests

from ..harness import LiveHarness, run_file
from ..registry import free_port

FAKES = ["salesforce", "stripe", "avalara", "erp"]
# --faults PROFILE: what the fakes do besides answering (each fake's own error codes)
FAULT_PROFILES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "none": {},
    "latency": {n: [{"profile": True}] for n in FAKES},
    "flaky": {
        "salesforce": [{"operation": "*", "error": {"code": "UNABLE_TO_LOCK_ROW"}, "probability": 0.01}],
        "stripe": [{"operation": "webhook.deliver", "drop": True, "probability": 0.05},
                   {"operation": "*", "error": {"code": "lock_timeout"}, "probability": 0.01}],
        "avalara": [{"operation": "*", "error": {"code": "ServiceUnavailable"}, "probability": 0.01}],
        "erp": [{"operation": "*", "error": {"code": "SERVICE_UNAVAILABLE"}, "probability": 0.01}],
    },
}


def control(h, name: str, method: str, path: str, body: dict | None = None) -> Any:
    """One control-plane call (``/_sim`` or ``/_integration``), with the run's control token when it has one."""
    token = getattr(h, "control_token", None)
    headers = {"X-Sim-Token": token} if token else {}
    resp = requests.request(method, h.url(name) + path, json=body, headers=headers, timeout=60,
                            verify=str(h.ca_path) if getattr(h, "ca_path", None) else True)
    if resp.status_code >= 400:
        raise RuntimeError(f"{method} {name}{path} -> {resp.status_code}: {resp.text[:300]}")
    return resp.json() if resp.content else {}


class External:
    """The fakes started by ``o2c up`` and the user's own integration: public APIs only."""

    def __init__(self, run_dir: Path, integration_url: str):
        info = run_file(run_dir)
        if not info:
            raise SystemExit("--integration-url needs the fakes running: `o2c up --detach --clock scaled --rate N`")
        self.urls, self.integration_url = info["urls"], integration_url
        self.ca_path = Path(info["ca"]) if info.get("ca") else None
        self.pids = info.get("pids", {})
        token = Path(run_dir) / "control.token"
        self.control_token = token.read_text().strip() if token.exists() else None
        self.names = [n for n in FAKES if n in self.urls]

    def url(self, name: str) -> str:
        return self.urls[name]


class Systems:
    """The fakes and the integration for every sync mode of one ``o2c load`` run."""

    def __init__(self, args, out: Path):
        self.args, self.out = args, out
        self.external = bool(args.integration_url)
        self.h: Any = None
        self.procs: dict[str, psutil.Process] = {}
        self.starts = 0   # how many times the fakes and the integration were started (1 when every mode reused them)

    def for_mode(self, sync: str) -> tuple[Any, dict[str, psutil.Process]]:
        """The systems ready for a mode: started (the first mode, or after a mode left work queued) or
        reset and switched to ``sync``; then the run's vendor limits and faults are applied."""
        a = self.args
        if self.external:
            self.h = External(Path(a.run_dir), a.integration_url)
            self.procs = {n: psutil.Process(pid) for n, pid in self.h.pids.items() if psutil.pid_exists(pid)}
        elif self.h is None:
            names = FAKES + ["integration"]
            self.h = LiveHarness(FAKES, ports={n: free_port() for n in names}, run_dir=self.out / "run",
                                 clock_mode="scaled", rate=a.clock_rate,
                                 integration={"payment_sync": sync, "poll_interval": float(a.poll_interval)})
            self.h.start()
            self.starts += 1
            control(self.h, "integration", "POST", "/_integration/install")
            self.procs = {n: psutil.Process(p.pid) for n, p in self.h.procs.items()}
        else:
            self.reset(sync)
        self.configure()
        return self.h, self.procs

    def reset(self, sync: str) -> None:
        """Every fake back to its seeded state (webhook deliveries and Outbound Messages still queued
        go with it), then the integration; it then takes the mode's settings and installs again."""
        for name in FAKES:
            control(self.h, name, "POST", "/_sim/reset")
        control(self.h, "integration", "POST", "/_sim/reset")
        settings = {"payment_sync": sync, "poll_interval": float(self.args.poll_interval)}
        control(self.h, "integration", "POST", "/_integration/config", settings)
        self.h.integration.update(settings)
        control(self.h, "integration", "POST", "/_integration/install")

    def configure(self) -> None:
        a = self.args
        for name in self.h.names:
            if name == "integration":
                continue
            if a.vendor_limits != "off":   # (re)setting a profile also starts its refusal count from 0
                control(self.h, name, "POST", "/_sim/limits", {"profile": a.vendor_limits})
            for rule in FAULT_PROFILES[a.faults].get(name, []):
                if rule.get("profile"):
                    profiles = control(self.h, name, "GET", "/_sim/faults").get("profiles", [])
                    if profiles:
                        control(self.h, name, "POST", "/_sim/faults/profile", {"name": profiles[0]})
                else:
                    control(self.h, name, "POST", "/_sim/faults", rule)

    def mode_done(self, backlog: int) -> None:
        """After a mode's books are judged: keep the systems for the next mode, unless the integration
        still had work queued (then the next mode starts them afresh)."""
        if backlog and not self.external:
            self.stop()

    def stop(self) -> None:
        if self.h is not None and not self.external:
            self.h.stop()
        self.h, self.procs = None, {}
