"""Fake Avalara AvaTax REST v2: ``create_app`` wires the tax engine, the state stores and the core
pipeline, without a web framework: the control plane (``/_sim``, ``control.py``) in front of the
core lane (``routes.py``), which serves ``/api/v2/...`` and answers any other path with AvaTax's
error body."""
from __future__ import annotations

from pathlib import Path

from ..core.clock import SimClock
from ..core.app import VendorApp
from ..core.sim import Sim, Vendor
from ..core.validation import Violation
from . import errors, routes, routes_companies, routes_definitions, routes_transactions
from .control import control_routes
from .engine import TaxTables
from .state import AvaTaxState

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
               live: bool = False, fixtures: str | None = None, journal_size: int = 1000) -> VendorApp:
    app = VendorApp("avalara")
    vendor = Vendor(name="avalara", render_error=routes.render_error, http_error=errors.http_error,
                    fault_error=errors.fault_error, fault_codes=errors.FAULT_CODES, violation_error=violation_error,
                    public_operations=frozenset({"utilities.ping"}), latency_profiles=LATENCY_PROFILES)
    # no ``normalise``: the lane hands the validator bodies with their keys already lower-cased
    # (routes.parse_body), as the schemas name them
    sim = Sim(vendor, clock=clock, seed=seed, schema_dir=SCHEMAS, validation=validation,
              journal_size=journal_size)
    state = AvaTaxState(sim, TaxTables(Path(fixtures) if fixtures else None))
    sim.control_tables.append(control_routes(state))
    lane = routes.install(sim, state, [routes_transactions.TABLE, routes_definitions.TABLE, routes_companies.TABLE])
    app.serve(sim, lane)
    app.extensions["avalara_state"] = state
    return app
