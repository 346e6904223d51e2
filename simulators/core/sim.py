"""What every fake shares: the ``Sim`` context (clock, ids, state, faults, journal, validation,
outbox) and ``install()``, which wires the request pipeline into a Flask app:

    control gate for /_sim (loopback + token + schema) -> fault layer -> vendor auth
    -> schema validation -> route -> journal (after the response)

The vendor supplies a ``Vendor`` spec: how to render its errors, how to turn a fault or a schema
violation into its own error, how to authenticate and how to read a request body.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import threading
import time as _perf  # perf_counter only: request latency for the journal, never "now"
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from flask import Flask, Response, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from .clock import SimClock, iso
from .errors import ControlError, DropConnection, SimError
from .faults import FaultEngine
from .ids import IdGen, SecretGen
from .journal import Journal
from .limits import Limits
from .jsonutil import dumps, loads as bounded_loads
from .outbox import Outbox
from .store import Store
from .validation import SchemaValidator, Violation

TOKEN_HEADER = "X-Sim-Token"
TOKEN_ENV = "O2C_CONTROL_TOKEN"   # how the harness hands a server process the run's control token
DROP_HEADER = "X-Sim-Drop-Connection"
DELAY_HEADER = "X-Sim-Delay-Ms"  # inline requests: the server holds the answer back this long
log = logging.getLogger("simulators")


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
    fault_codes: tuple[str, ...] = ()   # the vendor error codes a fault rule is documented to inject
    # The vendor's error for a request no route takes or no handler expected: ``http_error(status,
    # HttpProblem)`` for 400 (malformed body), 404 (unknown path), 405, 413, 415 and 500 (a bug in the fake).
    http_error: Callable[[int, "HttpProblem"], SimError] | None = None


@dataclass
class HttpProblem:
    """What the vendor's ``http_error`` may name: the request and what was wrong with it."""

    method: str
    path: str
    description: str = ""
    allowed: tuple[str, ...] = ()
    content_type: str = ""


def is_loopback(addr: str | None) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback; anything unparsable is not loopback."""
    if not addr:
        return False
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


_SLASHES = re.compile(r"/{2,}")


def is_control_path(path: str, prefixes: tuple[str, ...]) -> bool:
    path = _SLASHES.sub("/", path or "/")
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def control_refusal(sim: "Sim", remote_addr: str | None, token: str | None) -> str | None:
    """Why a control request is refused, or None: loopback callers only, and live (when the
    server was given a token) the run's token in ``X-Sim-Token``, compared in constant time."""
    if not is_loopback(remote_addr):
        return "the control plane answers loopback callers only"
    expected = sim.control_token
    if expected is None:
        return None
    if not token or not hmac.compare_digest(token.encode("utf-8", "replace"), expected.encode("utf-8")):
        return (f"the control plane needs the run's control token in the {TOKEN_HEADER} header "
                "(o2c reads it from <run dir>/control.token)")
    return None


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
    def __init__(self, vendor: Vendor, clock: SimClock | None = None, seed: int | str | None = None,
                 schema_dir: Path | None = None, journal_size: int = 1000, validation: str = "strict",
                 sleep_latency: bool = False, normalise: Callable[[Any], Any] | None = None):
        """``seed``: None (the default) gives deterministic ids from seed 0 and random secrets
        (webhook signing secrets, session tokens) that differ on every run; an explicit seed makes
        the secrets repeat too."""
        self.vendor = vendor
        self.name = vendor.name
        self.clock = clock or SimClock()
        self.seed = 0 if seed is None else seed
        self.initial_seed = self.seed   # what a reset returns to, whatever /_sim/seed set since
        self.initial_validation = validation
        self.ids = IdGen(f"{vendor.name}:{self.seed}")
        self.secrets = SecretGen(None if seed is None else f"{vendor.name}:{seed}")
        self._initial_secrets_seed = self.secrets.seed
        self.faults = FaultEngine(self.seed, profiles=vendor.latency_profiles)
        self.control_token: str | None = None   # live: the run's token; None in-process (no network)
        self.control_prefixes: tuple[str, ...] = ("/_sim",)
        self.stopping = threading.Event()       # set at shutdown: wakes workers waiting out a latency fault
        self.journal = Journal(journal_size)
        self.limits = Limits(vendor.name, self.clock, vendor.fault_error)  # vendor limits: off until set
        self.validator = SchemaValidator(schema_dir, mode=validation, normalise=normalise)
        self.sleep_latency = sleep_latency
        self.trim_on_reset = False   # live: a reset also gives freed memory back to the system (memory.py)
        self.stores: list[Store] = []
        self.outboxes: list[Outbox] = []
        self._on_reset: list[Callable[[], None]] = []
        self.operation_sources: list[Callable[[], list[str]]] = []   # route tables (Flask, fast lane)
        self.control_tables: list[Any] = []   # /_sim endpoint tables (control_routes.ControlRoutes)

    # ---- composition -----------------------------------------------------------------
    def operations(self) -> list[str]:
        """Every operation name faults, schemas and the journal know (webhook deliveries included)."""
        names = {op for source in self.operation_sources for op in source()}
        if self.outboxes:
            names.add("webhook.deliver")
        return sorted(n for n in names if not n.startswith("_") and n != "static")

    def fault_catalog(self) -> dict[str, Any]:
        """What a fault rule can name: the operations, and the vendor errors with their status and message."""
        errors = []
        for code in self.vendor.fault_codes:
            exc = self.vendor.fault_error({"code": code})
            errors.append({"code": code, "status": exc.status, "message": exc.message})
        return {"operations": self.operations(), "errors": errors}

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
        """As the fake was when it was built, with the options it was built with: the construction
        seed (ids, secrets, fault draws); no fault
        rules or profile; vendor limits off; the construction validation mode and no violations;
        empty journal; every store (and its named snapshots) and outbox as new; then the vendor's
        ``on_reset`` work (seed data, daily jobs) again. The clock is left as it is: it is the
        harness's, shared with the other systems (``o2c up`` sets its mode and rate after start), and
        the harness's own reset moves it back to its start (``InProcessHarness.reset``,
        ``LiveHarness.reset``)."""
        self.clock.cancel_owner(self.name)
        for box in self.outboxes:
            box.reset()
        for s in self.stores:
            s.reset()
        self.journal.clear()
        self.seed = self.initial_seed
        self.faults.reset(self.seed)
        self.limits.reset()
        self.validator.clear()
        self.validator.set_mode(self.initial_validation)
        self.ids.reseed(f"{self.name}:{self.seed}")
        self.secrets.reseed(self._initial_secrets_seed)
        for fn in self._on_reset:
            fn()
        if self.trim_on_reset:
            from .memory import give_back
            give_back()

    def reseed(self, seed: int | str) -> None:
        """An explicit seed (``/_sim/seed``): ids, faults and secrets all repeat from here."""
        self.seed = seed
        self.ids.reseed(f"{self.name}:{seed}")
        self.secrets.reseed(f"{self.name}:{seed}")
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
                # an Event, not time.sleep: shutdown wakes every waiting worker at once
                if self.stopping.wait(action.latency_ms / 1000):
                    raise DropConnection(t.operation)
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
                self.validator.check(t.operation, read_body(), t.caller, lambda: iso(self.now()))
            except Violation as v:
                raise self.vendor.violation_error(v)

    def deferred_latency(self, t: Trace) -> float | None:
        """For an inline request in live mode: how long the server should hold the answer."""
        return t.latency_ms if t.inline and t.latency_ms and self.sleep_latency else None

    def record(self, t: Trace, method: str, path: str, status: int) -> None:
        self.limits.release(t.limit_slot)
        self.journal.record({
            "at": self.now(), "method": method, "path": path, "operation": t.operation, "status": status,
            "caller": t.caller, "fault": t.fault, "ms": round((_perf.perf_counter() - t.started) * 1000, 3),
            "simulated_latency_ms": t.latency_ms,
        })


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status=status, headers=headers or {}, mimetype="application/json")


class BoundedJSONProvider(DefaultJSONProvider):
    """``request.get_json()`` on every fake: UTF-8 only and at most ``jsonutil.MAX_DEPTH`` levels
    deep; anything else is a ValueError, which Flask turns into a 400 (rendered by the vendor)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return bounded_loads(s, **kwargs)


def http_problem(status: int, description: str = "", allowed: tuple[str, ...] = ()) -> HttpProblem:
    return HttpProblem(request.method, request.path, description, allowed, request.headers.get("Content-Type", ""))


def install(app: Flask, sim: Sim) -> Flask:
    """Attach the core pipeline and the control plane to a vendor's Flask app."""
    from .control import mount, validate_body

    app.extensions["sim"] = sim
    app.json = BoundedJSONProvider(app)
    # /_sim is answered by the framework-free control plane in front of the vendor's app
    app.wsgi_app = app.extensions["control"] = mount(sim, app.wsgi_app)
    sim.operation_sources.append(lambda: [r.endpoint for r in app.url_map.iter_rules()])
    vendor = sim.vendor

    @app.before_request
    def _pipeline():
        path = request.path
        rule = request.url_rule.rule if request.url_rule is not None else ""
        if is_control_path(path, sim.control_prefixes) or is_control_path(rule, sim.control_prefixes):
            # what the Flask app itself still serves under a control prefix (the integration's /_integration)
            refusal = control_refusal(sim, request.remote_addr, request.headers.get(TOKEN_HEADER))
            if refusal:
                return json_response({"error": refusal}, 403)
            g.operation = "_sim"
            validate_body(request.method, request.path, request.get_data(cache=True))
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
        return json_response(exc.body(), exc.status)

    def _is_control() -> bool:
        return is_control_path(request.path, sim.control_prefixes)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        """No route, wrong method, unsupported media type, malformed body, too large: the vendor's
        own error body (werkzeug's HTML pages never reach a client)."""
        status = exc.code or 500
        if _is_control():
            return json_response({"error": exc.description or exc.name}, status)
        if vendor.http_error is None:
            return json_response({"error": exc.description or exc.name}, status)
        allowed = tuple(sorted(getattr(exc, "valid_methods", None) or ()))
        return _vendor_error(vendor.http_error(status, http_problem(status, exc.description or "", allowed)))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        """A bug in the fake: the vendor's 500 body; the traceback goes to the log only."""
        log.error("%s: unexpected error on %s %s", sim.name, request.method, request.path, exc_info=exc)
        if _is_control() or vendor.http_error is None:
            return json_response({"error": "internal error"}, 500)
        return _vendor_error(vendor.http_error(500, http_problem(500, "")))

    @app.after_request
    def _journal(resp: Response):
        t = getattr(g, "trace", None)
        if t is not None:
            sim.record(t, request.method, request.full_path.rstrip("?"), resp.status_code)
        return resp

    return app
