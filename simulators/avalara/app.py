"""Fake Avalara AvaTax REST v2: ``create_app`` wires the tax engine, the transaction state and the
core pipeline (faults, auth, schema validation, journal, control plane)."""
from __future__ import annotations

import itertools
import uuid
from pathlib import Path

from flask import Flask

from ..core.clock import SimClock
from ..core.sim import Sim, Vendor, install
from . import control
from ..core.validation import Violation
from . import errors, routes
from .engine import TaxTables
from .state import AvaTaxState
from .values import lower_keys

SCHEMAS = Path(__file__).with_name("schemas")

# Named latency profiles for realistic live runs (off unless switched on through /_sim/faults/profile).
# Avalara publishes no latency figures; these are assumptions, stated in docs/avalara.md.
LATENCY_PROFILES = {
    "sandbox": {"*": {"kind": "lognormal", "median_ms": 180, "sigma": 0.5}},
    "production": {"*": {"kind": "lognormal", "median_ms": 90, "sigma": 0.4}},
}


def violation_error(v: Violation) -> errors.AvaTaxError:
    first = v.errors[0]
    if first["keyword"] == "required":
        field = (first.get("names") or [first["path"] or "body"])[0]
        return errors.AvaTaxError("ValueRequiredError", f"Field '{field}' is required.", refers_to=field)
    where = first["path"] or "body"
    return errors.AvaTaxError("ModelStateInvalid", f"The field '{where}' is invalid: {first['message']}",
                              refers_to=where)


def create_app(clock: SimClock | None = None, seed: int | str | None = None, validation: str = "strict",
               live: bool = False, fixtures: str | None = None, journal_size: int = 1000) -> Flask:
    app = Flask("avalara")
    app.json.sort_keys = False
    state_holder: dict[str, AvaTaxState] = {}

    vendor = Vendor(
        name="avalara",
        render_error=errors.render,
        http_error=errors.http_error,
        fault_error=errors.fault_error,
        fault_codes=errors.FAULT_CODES,
        violation_error=violation_error,
        authenticate=lambda: routes.credentials(state_holder["state"])["caller"],
        read_body=lambda: routes.json_body(),
        public_operations=frozenset({"utilities.ping"}),
        latency_profiles=LATENCY_PROFILES,
    )
    sim = Sim(vendor, clock=clock, seed=seed, schema_dir=SCHEMAS, validation=validation,
              journal_size=journal_size, normalise=lower_keys)
    state = AvaTaxState(sim, TaxTables(Path(fixtures) if fixtures else None))
    state_holder["state"] = state
    routes.register(app, state)
    sim.control_tables.append(control.control_routes(state))
    install(app, sim)

    correlation = itertools.count(1)

    @app.after_request
    def correlation_id(resp):
        # The official SDK's logging decorator reads this header on every response and fails
        # without it (avalara/ava_logger.py).
        resp.headers["X-Correlation-Id"] = str(uuid.UUID(int=next(correlation), version=4))
        return resp

    app.extensions["avalara_state"] = state
    return app
