"""What every fake shares: the ``Sim`` context (clock, ids, state, faults, journal, validation,
outbox) and ``install()``, which wires the request pipeline into a Flask app:

    loopback check for /_sim -> fault layer -> vendor auth -> schema validation -> route
    -> journal (after the response)

The vendor supplies a ``Vendor`` spec: how to render its errors, how to turn a fault or a schema
violation into its own error, how to authenticate and how to read a request body.
"""
from __future__ import annotations

import time as _perf  # perf_counter only: request latency for the journal, never "now"
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from flask import Flask, Response, g, request

from .clock import SimClock, iso
from .errors import ControlError, DropConnection, SimError
from .faults import FaultEngine
from .ids import IdGen
from .journal import Journal
from .limits import Limits
from .jsonutil import dumps
from .outbox import Outbox
from .store import Store
from .validation import SchemaValidator, Violation

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
DROP_HEADER = "X-Sim-Drop-Connection"
DELAY_HEADER = "X-Sim-Delay-Ms"  # inline requests: the server holds the answer back this long


@dataclass
class Vendor:
    """How a vendor's fake speaks: every hook is the vendor's own shape."""

    name: str
    render_error: Callable[[SimError], Response]
    fault_error: Callable[[dict[str, Any]], SimError]
    violation_error: Callable[[Violation], SimError]
    authenticate: Callable[[], str | None] | None = None  # returns the caller's identity or raises
    read_body: Callable[[], Any] = field(default=lambda: request.get_json(silent=True))
    public_operations: frozenset[str] = frozenset()
    latency_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    tenant: Callable[[], str | None] = field(default=lambda: None)
    operation_attrs: Callable[[], dict[str, str]] = field(default=lambda: {})


class Trace:
    """What the pipeline learns about one request, for the journal."""

    __slots__ = ("started", "caller", "operation", "fault", "latency_ms", "inline", "limit_slot")

    def __init__(self, operation: str, caller: str, inline: bool = False):
        self.started = _perf.perf_counter()
        self.operation = operation
        self.caller = caller
        self.fault: str | None = None
        self.latency_ms: float | None = None
        self.inline = inline  # served on the event loop: latency is deferred by the server, not slept
        self.limit_slot: object | None = None  # held against a vendor concurrency limit until recorded


class Sim:
    def __init__(self, vendor: Vendor, clock: SimClock | None = None, seed: int | str = 0,
                 schema_dir: Path | None = None, journal_size: int = 1000, validation: str = "strict",
                 sleep_latency: bool = False, normalise: Callable[[Any], Any] | None = None):
        self.vendor = vendor
        self.name = vendor.name
        self.clock = clock or SimClock()
        self.seed = seed
        self.ids = IdGen(f"{vendor.name}:{seed}")
        self.faults = FaultEngine(seed, profiles=vendor.latency_profiles)
        self.journal = Journal(journal_size)
        self.limits = Limits(vendor.name, self.clock, vendor.fault_error)  # vendor limits: off until set
        self.validator = SchemaValidator(schema_dir, mode=validation, normalise=normalise)
        self.sleep_latency = sleep_latency
        self.stores: list[Store] = []
        self.outboxes: list[Outbox] = []
        self._on_reset: list[Callable[[], None]] = []

    # ---- composition -----------------------------------------------------------------
    def store(self, factory: Callable[[], dict[str, Any]]) -> Store:
        s = Store(factory)
        self.stores.append(s)
        return s

    def outbox(self, **kw: Any) -> Outbox:
        box = Outbox(self.clock, owner=self.name, faults=self.faults, **kw)
        self.outboxes.append(box)
        return box

    def on_reset(self, fn: Callable[[], None]) -> None:
        """Register work to redo after every reset (e.g. re-scheduling a daily job)."""
        self._on_reset.append(fn)
        fn()

    # ---- control operations ----------------------------------------------------------
    def reset(self) -> None:
        self.clock.cancel_owner(self.name)
        for box in self.outboxes:
            box.reset()
        for s in self.stores:
            s.reset()
        self.journal.clear()
        self.faults.clear()
        self.faults.set_profile(None)
        self.validator.clear()
        self.ids.reseed(f"{self.name}:{self.seed}")
        for fn in self._on_reset:
            fn()

    def reseed(self, seed: int | str) -> None:
        self.seed = seed
        self.ids.reseed(f"{self.name}:{seed}")
        self.faults.reseed(seed)

    def now(self):
        return self.clock.now()

    # ---- the request pipeline, shared by the Flask hooks and the fast lane (lane.py) ---------
    def gate(self, t: Trace, authenticate: Callable[[], str | None] | None, read_body: Callable[[], Any],
             tenant: str | None = None, attrs: dict[str, str] | None = None) -> None:
        """Fault layer -> vendor limits -> vendor auth -> schema validation. Raises the vendor's error."""
        action = self.faults.decide(t.operation, tenant, attrs or {})
        if action:
            t.fault = action.rule_id
            t.latency_ms = action.latency_ms
            if action.latency_ms and self.sleep_latency and not t.inline:
                _perf.sleep(action.latency_ms / 1000)
            if action.drop:
                raise DropConnection(t.operation)
            if action.error:
                raise self.vendor.fault_error(dict(action.error))
        t.limit_slot = self.limits.admit(t.operation)
        if authenticate and t.operation not in self.vendor.public_operations:
            who = authenticate()
            if who:
                t.caller = who
        if t.operation in self.validator._validators:
            try:
                self.validator.check(t.operation, read_body(), t.caller, iso(self.now()))
            except Violation as v:
                raise self.vendor.violation_error(v)

    def deferred_latency(self, t: Trace) -> float | None:
        """For an inline request in live mode: how long the server should hold the answer."""
        return t.latency_ms if t.inline and t.latency_ms and self.sleep_latency else None

    def record(self, t: Trace, method: str, path: str, status: int) -> None:
        self.limits.release(t.limit_slot)
        self.journal.record({
            "at": iso(self.now()), "method": method, "path": path, "operation": t.operation, "status": status,
            "caller": t.caller, "fault": t.fault, "ms": round((_perf.perf_counter() - t.started) * 1000, 3),
            "simulated_latency_ms": t.latency_ms,
        })


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status=status, headers=headers or {}, mimetype="application/json")


def install(app: Flask, sim: Sim) -> Flask:
    """Attach the core pipeline and the control plane to a vendor's Flask app."""
    from .control import control_blueprint

    app.extensions["sim"] = sim
    app.register_blueprint(control_blueprint(sim))
    vendor = sim.vendor

    @app.before_request
    def _pipeline():
        path = request.path
        if path.startswith("/_sim"):
            if request.remote_addr not in LOOPBACK:
                return json_response({"error": "the control plane listens to loopback callers only"}, 403)
            g.operation = "_sim"
            return None
        g.operation = request.endpoint or "unknown"
        g.trace = Trace(g.operation, request.headers.get("User-Agent", "anonymous"))
        sim.gate(g.trace, vendor.authenticate, vendor.read_body, vendor.tenant(), vendor.operation_attrs())
        return None

    @app.errorhandler(SimError)
    def _vendor_error(exc: SimError):
        resp = vendor.render_error(exc)
        for k, v in exc.headers.items():
            resp.headers[k] = v
        return resp

    @app.errorhandler(DropConnection)
    def _drop(exc: DropConnection):
        # The transports close the connection when they see this marker (see transport.py).
        return Response(b"", status=599, headers={DROP_HEADER: "1"})

    @app.errorhandler(ControlError)
    def _control_error(exc: ControlError):
        return json_response({"error": exc.message}, exc.status)

    @app.after_request
    def _journal(resp: Response):
        t = getattr(g, "trace", None)
        if t is not None:
            sim.record(t, request.method, request.full_path.rstrip("?"), resp.status_code)
        return resp

    return app
