"""The fake Stripe: ``create_app`` builds the Flask app on the core pipeline.

Options (keyword arguments, or ``--config`` JSON in live mode): ``api_version`` (account default
for events), ``webhook_schedule`` (``sandbox`` | ``live``), ``dunning`` ({retries, window_days,
final}), ``public_base`` (base URL for hosted invoice, PDF and receipt links; default ``https://api.stripe.com``, the
host the in-process transport serves; the live server passes its own URL).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from simulators.core.clock import SimClock
from simulators.core.sim import Sim, Vendor, install

from . import fastcheck, routes, routes_billing
from .tables import route_tables
from .control import control_routes
from .errors import FAULTS, from_fault, http_error
from .state import StripeState

SCHEMAS = Path(__file__).with_name("schemas")
PUBLIC = frozenset({"hosted.page", "hosted.pay", "hosted.pdf"})


def create_app(clock: SimClock | None = None, seed: int | str | None = None, validation: str = "strict", live: bool = False,
               **options: Any) -> Flask:
    vendor = Vendor(name="stripe", render_error=routes.render_error, fault_error=from_fault,
                    violation_error=routes.violation_error, authenticate=routes.authenticate, fault_codes=tuple(FAULTS),
                    read_body=routes.request_params, public_operations=PUBLIC, http_error=http_error,
                    latency_profiles={"sandbox": {"*": {"kind": "lognormal", "median_ms": 250, "sigma": 0.4}},
                                      "live": {"*": {"kind": "lognormal", "median_ms": 120, "sigma": 0.5}}})
    sim = Sim(vendor, clock=clock, seed=seed, schema_dir=SCHEMAS, validation=validation)
    sim.validator.quick.update(fastcheck.compile_dir(SCHEMAS))   # valid requests skip jsonschema
    state = StripeState(sim, options)
    app = Flask(__name__)
    app.url_map.strict_slashes = False
    routes.install_http(app, sim, state)
    for table in route_tables():
        routes.register(app, state, table)
    routes_billing.register_hosted(app, state)
    sim.control_tables.append(control_routes(state))
    install(app, sim)
    app.extensions["stripe_state"] = state
    return app
