"""HTTP clients of the harness's own planes: a fake's ``/_sim`` control plane and the reference
integration's ``/_integration`` plane. Both work in-process (routed) and live (with the run's
control token)."""
from __future__ import annotations

from typing import Any

import requests

from .core.sim import TOKEN_HEADER


class _PlaneClient:
    """One plane (``prefix``) of one service: the run's control token on every call (live), an
    error naming the call and the answer for anything 4xx/5xx, the JSON body otherwise."""

    prefix = ""

    def __init__(self, base_url: str, session: requests.Session | None = None, verify: Any = True,
                 token: str | None = None):
        self.base = base_url.rstrip("/")
        if session is None:
            session = requests.Session()
            session.trust_env = False   # the fakes are on loopback or in process: no proxy from the environment
        self.http = session
        self.verify = verify
        self.headers = {TOKEN_HEADER: token} if token else {}

    def _call(self, method: str, path: str, **kw) -> Any:
        resp = self.http.request(method, f"{self.base}{self.prefix}{path}", timeout=60, verify=self.verify,
                                 headers=self.headers, **kw)
        if resp.status_code >= 400:
            raise RuntimeError(f"{method} {self.prefix}{path} -> {resp.status_code}: {resp.text[:300]}")
        return resp.json()


class ControlClient(_PlaneClient):
    """HTTP client for one fake's ``/_sim`` control plane (works in both modes)."""

    prefix = "/_sim"

    def get(self, path: str, **params) -> Any:
        return self._call("GET", path, params=params or None)

    def post(self, path: str, body: dict | None = None) -> Any:
        return self._call("POST", path, json=body or {})

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path)

    # conveniences
    def reset(self):
        return self.post("/reset")

    def clock(self):
        return self.get("/clock")

    def add_fault(self, **rule):
        return self.post("/faults", rule)

    def clear_faults(self):
        return self.delete("/faults")

    def journal(self, operation: str | None = None):
        return self.get("/journal", **({"operation": operation} if operation else {}))["entries"]


class IntegrationClient(_PlaneClient):
    """HTTP client for the reference integration's own plane, ``/_integration`` (both modes): its
    status, the work in flight, and the dead letters (list them, put them back on the queue)."""

    prefix = "/_integration"

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/status")

    def pending(self) -> list[dict[str, Any]]:
        return self._call("GET", "/pending")["pending"]

    def dead_letters(self) -> list[dict[str, Any]]:
        return self._call("GET", "/dead-letters")["dead_letters"]

    def retry_dead_letters(self, dead_id: str | None = None) -> int:
        """Put every dead letter (or the one ``dead_id``) back on the queue; returns how many. The
        jobs then run on the integration's clock with the usual retry schedule."""
        return self._call("POST", "/dead-letters/retry", json={"id": dead_id} if dead_id else {})["resubmitted"]
