"""Fault injection: an ordered list of rules, first match wins (the LocalStack Chaos API idea).

A rule matches an *operation* (the fake's name for an endpoint, e.g. ``transactions.create``;
``*`` and ``prefix.*`` globs work), optionally a tenant and request attributes, and then gives
one of:

- ``latency``: ``{"kind": "fixed", "ms": 200}``, ``{"kind": "uniform", "min_ms": 50, "max_ms": 400}``
  or ``{"kind": "lognormal", "median_ms": 120, "sigma": 0.6}``;
- ``error``: a vendor error code (``{"code": "RequestLimitExceeded"}``) that the fake turns into
  its own error body;
- ``drop``: the connection is closed without a response;
- for webhook deliveries (operation ``webhook.deliver``) also ``duplicate`` and ``reorder``.

``times`` makes a rule counted ("fail the next 2 calls") and it retires once used up;
``probability`` makes it random (seeded, so repeatable) for load runs.

Rules are validated against ``FaultRule`` in ``control_openapi.yaml`` before they are added, so a
rule that is accepted can always be applied. Latency on request operations is real in live mode
(a worker waits), so it is bounded to ``MAX_REQUEST_LATENCY_MS`` (5 minutes), and the wait ends at
once when the server shuts down (``Sim.stopping``). On ``webhook.deliver`` latency is simulated
time (the delivery is scheduled later on the clock) and may reach 7 days.
"""
from __future__ import annotations

import fnmatch
import itertools
import math
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ControlError

LATENCY_KINDS = ("fixed", "uniform", "lognormal")
MAX_REQUEST_LATENCY_MS = 300_000.0          # 5 minutes: a live worker really waits this long
MAX_SIMULATED_LATENCY_MS = 604_800_000.0    # 7 days of simulated time (webhook.deliver)


@dataclass
class FaultRule:
    operation: str = "*"
    tenant: str | None = None
    match: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    latency: dict[str, Any] | None = None
    drop: bool = False
    duplicate: bool = False
    reorder: bool = False
    times: int | None = None
    probability: float = 1.0
    id: str = ""
    hits: int = 0

    @classmethod
    def from_dict(cls, raw: Any) -> "FaultRule":
        from .control_schema import check, schema_validator
        check(schema_validator("FaultRule"), raw)     # types and ranges: 400 before anything changes
        rule = cls(**raw)
        if rule.times is not None:
            rule.times = int(rule.times)
        rule.probability = float(rule.probability)
        if not (rule.error or rule.latency or rule.drop or rule.duplicate or rule.reorder):
            raise ControlError("a fault needs one of: error, latency, drop (and, for webhook.deliver, "
                               "duplicate or reorder)")
        if (rule.duplicate or rule.reorder) and not fnmatch.fnmatchcase("webhook.deliver", rule.operation):
            raise ControlError("duplicate and reorder apply to the operation webhook.deliver only")
        if rule.latency:
            spec = rule.latency
            if spec.get("kind") == "uniform" and spec["min_ms"] > spec["max_ms"]:
                raise ControlError("latency min_ms must not exceed max_ms")
            if rule.latency_cap() < _latency_ceiling(spec):
                raise ControlError(f"latency on request operations is bounded to {int(MAX_REQUEST_LATENCY_MS)} ms "
                                   "(5 minutes); only webhook.deliver takes longer (simulated) delays")
        return rule

    def latency_cap(self) -> float:
        """Real waits (request operations) stop at 5 minutes; webhook delays are simulated time."""
        return MAX_SIMULATED_LATENCY_MS if self.operation == "webhook.deliver" else MAX_REQUEST_LATENCY_MS

    def matches(self, operation: str, tenant: str | None, attrs: dict[str, str]) -> bool:
        if not fnmatch.fnmatchcase(operation, self.operation):
            return False
        if self.tenant is not None and self.tenant != tenant:
            return False
        return all(fnmatch.fnmatchcase(str(attrs.get(k, "")), str(v)) for k, v in self.match.items())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaultAction:
    rule_id: str
    latency_ms: float = 0.0
    error: dict[str, Any] | None = None
    drop: bool = False
    duplicate: bool = False
    reorder: bool = False


def _latency_ceiling(spec: dict[str, Any]) -> float:
    """The fixed, maximum or median latency a spec asks for (what the bound is checked against)."""
    kind = spec.get("kind", "fixed")
    return float(spec.get({"fixed": "ms", "uniform": "max_ms"}.get(kind, "median_ms"), 0))


def sample_latency(spec: dict[str, Any] | None, rng: random.Random,
                   cap: float = MAX_REQUEST_LATENCY_MS) -> float:
    """One latency draw in ms, never above ``cap`` (a lognormal tail is cut there)."""
    if not spec:
        return 0.0
    kind = spec.get("kind", "fixed")
    if kind == "fixed":
        value = float(spec.get("ms", 0))
    elif kind == "uniform":
        value = rng.uniform(float(spec.get("min_ms", 0)), float(spec.get("max_ms", 0)))
    else:
        median = float(spec.get("median_ms", 100))
        value = rng.lognormvariate(math.log(median), float(spec.get("sigma", 0.5)))
    return min(max(value, 0.0), cap)


class FaultEngine:
    def __init__(self, seed: int | str = 0, profiles: dict[str, dict[str, Any]] | None = None):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(f"faults:{seed}")
        self.profiles = profiles or {}
        self.profile: str | None = None

    def active(self) -> bool:
        """Whether any rule or latency profile is set (a request may get a fault); cheap, no lock."""
        return bool(self._rules) or self.profile is not None

    def reseed(self, seed: int | str) -> None:
        with self._lock:
            self._rng = random.Random(f"faults:{seed}")

    def reset(self, seed: int | str) -> None:
        """As built: no rules, no profile, rule ids from ``fault_1`` again, the draws of ``seed``."""
        with self._lock:
            self._rules = []
            self._ids = itertools.count(1)
            self._rng = random.Random(f"faults:{seed}")
            self.profile = None

    def add(self, raw: dict[str, Any]) -> FaultRule:
        rule = FaultRule.from_dict(raw)
        with self._lock:
            rule.id = f"fault_{next(self._ids)}"
            self._rules.append(rule)
        return rule

    def clear(self, rule_id: str | None = None) -> int:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if rule_id is not None and r.id != rule_id]
            return before - len(self._rules)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def set_profile(self, name: str | None) -> None:
        if name is not None and name not in self.profiles:
            raise ControlError(f"unknown latency profile {name!r}; known: {sorted(self.profiles)}")
        self.profile = name

    def decide(self, operation: str, tenant: str | None = None,
               attrs: dict[str, str] | None = None) -> FaultAction | None:
        attrs = attrs or {}
        with self._lock:
            for rule in self._rules:
                if not rule.matches(operation, tenant, attrs):
                    continue
                if rule.probability < 1 and self._rng.random() >= rule.probability:
                    continue
                rule.hits += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                return FaultAction(rule_id=rule.id,
                                   latency_ms=sample_latency(rule.latency, self._rng, rule.latency_cap()),
                                   error=rule.error, drop=bool(rule.drop),
                                   duplicate=bool(rule.duplicate), reorder=bool(rule.reorder))
            if self.profile:
                spec = self.profiles[self.profile].get(operation) or self.profiles[self.profile].get("*")
                if spec:
                    return FaultAction(rule_id=f"profile:{self.profile}",
                                       latency_ms=sample_latency(spec, self._rng))
        return None
