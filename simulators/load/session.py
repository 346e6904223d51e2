"""HTTP for the personas: a ``requests.Session`` that reports every call as a Locust row, and the
run's settings. Imported by the locustfile after ``locust`` (gevent's patching comes first)."""
from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

# record ids: Stripe's (in_..., pi_...), Salesforce's 15/18-character ones, ERP numbers and eid: refs
ID_SEGMENT = re.compile(r"^[a-z]{2,5}_[A-Za-z0-9]{8,}$|^(?=.*\d)[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$|^\d+$|^eid:")
SOQL_FROM = re.compile(r"\bFROM\s+(\w+)", re.I)


def normalise(method: str, url: str) -> str:
    """A row name per operation, not per record: ids become ``{id}``; a SOQL query is named by its object."""
    parts = urlsplit(url)
    path = "/".join("{id}" if ID_SEGMENT.match(s) else s for s in parts.path.rstrip("/").split("/"))
    if path.endswith("/query") and parts.query:
        q = (parse_qs(parts.query).get("q") or [""])[0]
        m = SOQL_FROM.search(q)
        path += f" FROM {m.group(1)}" if m else ""
    return f"{method} {path}"


class LoadSession(requests.Session):
    """Every request becomes a Locust row named ``<system> <METHOD> <path>``. A status of 400 or more
    is a failure unless the caller said it expects it (a card decline is the business, not an error)."""

    def __init__(self, environment, system: str, ca: str | None = None):
        super().__init__()
        self.environment, self.system = environment, system
        self._expect: tuple[int, ...] = ()
        if ca:   # loaded once into an SSL context (as a path, requests would stat it on every request)
            from simulators.clients.conns import TrustedCA
            self.mount("https://", TrustedCA(ca))
        self.trust_env = False   # the CA is per session: never REQUESTS_CA_BUNDLE for the whole process

    @contextlib.contextmanager
    def expecting(self, *statuses: int):
        before, self._expect = self._expect, statuses
        try:
            yield self
        finally:
            self._expect = before

    def request(self, method, url, *args, **kwargs):
        t0 = time.perf_counter()
        resp, exc = None, None
        try:
            resp = super().request(method, url, *args, **kwargs)
            if resp.status_code >= 400 and resp.status_code not in self._expect:
                exc = requests.HTTPError(f"HTTP {resp.status_code}: {resp.text[:200]}", response=resp)
            return resp
        except Exception as e:
            exc = e
            raise
        finally:
            full = url if not kwargs.get("params") else requests.Request(method, url, params=kwargs["params"]).prepare().url
            self.environment.events.request.fire(
                request_type=method, name=f"{self.system} {normalise(method, full)}",
                response_time=(time.perf_counter() - t0) * 1000,
                response_length=len(resp.content) if resp is not None else 0, exception=exc, context={})


def load_config() -> dict[str, Any]:
    """The run's settings: the file ``O2C_LOAD_CONFIG`` names (written by ``o2c load``), else the fakes
    started by ``o2c up`` (``$O2C_HOME/run.json``) and their clock."""
    path = os.environ.get("O2C_LOAD_CONFIG")
    if path:
        return json.loads(Path(path).read_text())
    run = Path(os.environ.get("O2C_HOME", ".o2c")) / "run.json"
    if not run.exists():
        raise SystemExit("no load settings: run `o2c load`, or start the fakes with `o2c up --detach` first")
    info = json.loads(run.read_text())
    token_file = Path(os.environ.get("O2C_HOME", ".o2c")) / "control.token"
    token = token_file.read_text().strip() if token_file.exists() else None
    headers = {"X-Sim-Token": token} if token else {}
    clock = requests.get(info["urls"]["stripe"] + "/_sim/clock", headers=headers, timeout=10).json()
    return {"urls": info["urls"], "ca": info.get("ca"), "anchor": clock, "tag": "up", "token": token,
            "sync": os.environ.get("O2C_SYNC", "webhook"), "deadline_s": float(os.environ.get("O2C_DEADLINE_S", 60))}


def observer_conns(cfg: dict[str, Any]):
    """Salesforce and ERP connections for the watcher (not personas: their calls are not rows)."""
    from simulators.clients import ErpConn, SalesforceConn
    from simulators.clients import Connections as Config
    urls = cfg["urls"]
    c = Config(salesforce_url=urls["salesforce"], stripe_url=urls["stripe"], avalara_url=urls["avalara"],
               erp_url=urls["erp"], ca_bundle=cfg.get("ca"))

    return SalesforceConn(c), ErpConn(c)
