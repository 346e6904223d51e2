"""The fake ERP (NetSuite REST shape): ``create_app`` wires state, auth, routes and the core pipeline.

Options: ``revenue_delay`` (simulated seconds before revenue arrangements are created; 0 = at once),
``auto_close`` ({"lagDays": N} to close each month on the simulated clock), ``oauth_max_skew``
(seconds; off by default), ``credentials`` (override the default credentials of the README), ``catalog`` (path),
``one_world`` (a NetSuite OneWorld account: customer creates must name a subsidiary; off by default).

No web framework: the control plane (``/_sim``) in front of the core lane (routes.py), which serves
the API (``/services/rest/...``) and answers any other path with NetSuite's 404 body.
"""
from __future__ import annotations

from pathlib import Path

from ..core.app import VendorApp
from ..core.sim import Sim, Vendor
from .auth import Authenticator
from .control import control_routes
from .errors import FAULT_CODES, fault_error, http_error, render_error, violation_error
from .routes import install as install_lane
from .state import ErpState

SCHEMAS = Path(__file__).with_name("schemas")
LATENCY_PROFILES = {
    "netsuite": {"*": {"kind": "lognormal", "median_ms": 450, "sigma": 0.5},
                 "suiteql.query": {"kind": "lognormal", "median_ms": 700, "sigma": 0.6}},
}


def create_app(clock=None, seed=None, validation="strict", live=False, revenue_delay: float = 0,
               auto_close: dict | None = None, oauth_max_skew: float | None = None,
               credentials: dict | None = None, catalog: str | None = None, one_world: bool = False,
               **_ignored) -> VendorApp:
    app = VendorApp("erp")
    vendor = Vendor(name="erp", render_error=render_error, http_error=http_error, fault_error=fault_error,
                    fault_codes=tuple(FAULT_CODES), violation_error=violation_error,
                    read_body=lambda: {}, latency_profiles=LATENCY_PROFILES)
    sim = Sim(vendor, clock=clock, seed=seed, schema_dir=SCHEMAS, validation=validation)
    authenticator = Authenticator(sim.clock, credentials, max_skew=oauth_max_skew)
    sim.on_reset(authenticator.reset)
    state = ErpState(sim, catalog=catalog, one_world=one_world, revenue_delay=revenue_delay,
                     auto_close=auto_close, account=authenticator.creds["account"])
    app.extensions["erp_state"] = state
    sim.control_tables.append(control_routes(state))
    app.serve(sim, install_lane(sim, state, authenticator))
    return app
