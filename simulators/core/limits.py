"""Vendor rate and concurrency limits, answered in the vendor's own error shape.

Off by default. ``POST /_sim/limits {"profile": "sandbox"|"production"|"off"}`` on a fake applies that
vendor's documented limits (figures and sources in docs/load.md); ``{"rules": [...]}`` sets custom
ones. Each rule is one of:

- ``{"kind": "rate", "per_second": N, "ops": "read"|"write"|"all", "code": ...}``: at most N requests
  in any one-second window (Stripe's read and write limiters);
- ``{"kind": "concurrent", "limit": N, "code": ...}``: at most N requests in flight (NetSuite's
  account concurrency governance, AvaTax);
- ``{"kind": "concurrent", "limit": N, "after_s": S, ...}``: at most N requests in flight that have run
  S seconds or longer (Salesforce's concurrent long-running request limit);
- ``{"kind": "daily", "limit": N, "code": ...}``: at most N requests per simulated 24 hours (Salesforce's
  total API request allocation, on the simulated clock like every business day).

A refused request raises the vendor's error through ``Vendor.fault_error`` (e.g. Stripe 429
``rate_limit``, Salesforce 403 ``REQUEST_LIMIT_EXCEEDED``, NetSuite 429 ``CONCURRENCY_LIMIT_EXCEEDED``).

Request rates and durations are measured with ``time.perf_counter`` (real seconds): they are a
property of the transport, like the journal's latency, and a frozen simulated clock never moves.
"""
from __future__ import annotations

import threading
import time as _perf  # perf_counter only: request rate and in-flight duration, never "now"
from collections import deque
from datetime import timedelta
from typing import Any, Callable

from .errors import ControlError

READ_SUFFIXES = ("retrieve", "list", "search", "get", "query", "payment_methods")
# Operations a vendor's API limiter does not see (its hosted pages, its own outgoing deliveries).
EXEMPT_PREFIXES = ("hosted.", "webhook.", "_sim", "portal.")

# Documented figures (sources in docs/load.md). AvaTax publishes none: ours are stated assumptions.
PROFILES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "stripe": {
        "sandbox": [{"kind": "rate", "per_second": 25, "ops": "read", "code": "rate_limit"},
                    {"kind": "rate", "per_second": 25, "ops": "write", "code": "rate_limit"}],
        "production": [{"kind": "rate", "per_second": 100, "ops": "read", "code": "rate_limit"},
                       {"kind": "rate", "per_second": 100, "ops": "write", "code": "rate_limit"}],
    },
    "salesforce": {
        "sandbox": [{"kind": "concurrent", "limit": 25, "after_s": 20, "code": "REQUEST_LIMIT_EXCEEDED",
                     "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded."},
                    {"kind": "daily", "limit": 5_000_000, "code": "REQUEST_LIMIT_EXCEEDED",
                     "message": "TotalRequests Limit exceeded."}],
        "production": [{"kind": "concurrent", "limit": 25, "after_s": 20, "code": "REQUEST_LIMIT_EXCEEDED",
                        "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded."},
                       {"kind": "daily", "limit": 100_000, "code": "REQUEST_LIMIT_EXCEEDED",
                        "message": "TotalRequests Limit exceeded."}],
    },
    "erp": {
        "sandbox": [{"kind": "concurrent", "limit": 5, "code": "CONCURRENCY_LIMIT_EXCEEDED"}],
        "production": [{"kind": "concurrent", "limit": 15, "code": "CONCURRENCY_LIMIT_EXCEEDED"}],
    },
    "avalara": {
        "sandbox": [{"kind": "concurrent", "limit": 10, "code": "ConcurrentRequestLimitExceeded",
                     "status": 429}],
        "production": [{"kind": "concurrent", "limit": 50, "code": "ConcurrentRequestLimitExceeded",
                        "status": 429}],
    },
}
KINDS = ("rate", "concurrent", "daily")


def is_read(operation: str) -> bool:
    return operation.rsplit(".", 1)[-1].startswith(READ_SUFFIXES)


class Limits:
    """The limit rules of one fake, and the counters they need; thread-safe."""

    def __init__(self, vendor: str, clock, fault_error: Callable[[dict[str, Any]], Exception]):
        self.vendor, self.clock, self.fault_error = vendor, clock, fault_error
        self._lock = threading.Lock()
        self.profile = "off"
        self.rules: list[dict[str, Any]] = []
        self._state: list[dict[str, Any]] = []
        self.refused = 0

    # ---- configuration (the control plane) ------------------------------------------------
    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        profile = body.get("profile")
        if profile is not None and "rules" in body:
            raise ControlError("give a profile or rules, not both")
        if profile is not None:
            if profile == "off":
                rules = []
            elif profile in PROFILES.get(self.vendor, {}):
                rules = PROFILES[self.vendor][profile]
            else:
                raise ControlError(f"unknown limits profile {profile!r} for {self.vendor}: off, "
                                   f"{', '.join(PROFILES.get(self.vendor, {}))}")
        else:
            rules = body.get("rules")
            if not isinstance(rules, list):
                raise ControlError("rules must be a list")
            for r in rules:
                self._check(r)
            profile = "custom" if rules else "off"
        with self._lock:
            self.profile = profile
            self.rules = [dict(r) for r in rules]
            self._state = [{"window": deque(), "inflight": {}, "day": deque()} for _ in self.rules]
            self.refused = 0
        return self.view()

    def reset(self) -> None:
        """Off, as built (``/_sim/reset``); requests still in flight release into nothing."""
        self.configure({"profile": "off"})

    @staticmethod
    def _check(rule: Any) -> None:
        if not isinstance(rule, dict) or rule.get("kind") not in KINDS:
            raise ControlError(f"each rule needs kind: one of {KINDS}")
        key = "per_second" if rule["kind"] == "rate" else "limit"
        if not isinstance(rule.get(key), int) or isinstance(rule.get(key), bool) or rule[key] < 1:
            raise ControlError(f"a {rule['kind']} rule needs {key}: a whole number of at least 1")
        if rule.get("ops", "all") not in ("read", "write", "all"):
            raise ControlError("ops must be read, write or all")
        if not isinstance(rule.get("code", "x"), str):
            raise ControlError("code must be a string")

    def view(self) -> dict[str, Any]:
        with self._lock:
            inflight = sum(len(s["inflight"]) for s in self._state)
            return {"simulator": self.vendor, "profile": self.profile, "rules": [dict(r) for r in self.rules],
                    "refused": self.refused, "in_flight": inflight,
                    "profiles": ["off", *PROFILES.get(self.vendor, {})]}

    # ---- the request pipeline -------------------------------------------------------------------
    def admit(self, operation: str) -> object | None:
        """Count this request against every rule, or raise the vendor's error. Returns a token for
        ``release`` (None when no rule holds a slot for it)."""
        if not self.rules or operation.startswith(EXEMPT_PREFIXES):
            return None
        now = _perf.perf_counter()
        token = object()
        with self._lock:
            for rule, st in zip(self.rules, self._state):
                ops = rule.get("ops", "all")
                if ops != "all" and (ops == "read") != is_read(operation):
                    continue
                if rule["kind"] == "rate":
                    win = st["window"]
                    while win and now - win[0] >= 1.0:
                        win.popleft()
                    if len(win) >= rule["per_second"]:
                        return self._refuse(rule, token)
                elif rule["kind"] == "daily":
                    day, sim_now = st["day"], self.clock.now()
                    while day and sim_now - day[0] >= timedelta(days=1):
                        day.popleft()
                    if len(day) >= rule["limit"]:
                        return self._refuse(rule, token)
                else:
                    after = float(rule.get("after_s", 0))
                    running = sum(1 for t0 in st["inflight"].values() if now - t0 >= after)
                    if running >= rule["limit"]:
                        return self._refuse(rule, token)
            for rule, st in zip(self.rules, self._state):   # admitted: count it everywhere it applies
                ops = rule.get("ops", "all")
                if ops != "all" and (ops == "read") != is_read(operation):
                    continue
                if rule["kind"] == "rate":
                    st["window"].append(now)
                elif rule["kind"] == "daily":
                    st["day"].append(self.clock.now())
                else:
                    st["inflight"][token] = now
        return token

    def _refuse(self, rule: dict[str, Any], token: object) -> None:
        self.refused += 1
        spec = {k: rule[k] for k in ("code", "message", "status") if k in rule}
        raise self.fault_error(spec)

    def release(self, token: object | None) -> None:
        if token is None:
            return
        with self._lock:
            for st in self._state:
                st["inflight"].pop(token, None)
