"""The fake Salesforce: ``create_app`` wires the vendor hooks, the org state and the routes.

In-process it answers for login.salesforce.com, test.salesforce.com and *.my.salesforce.com;
live it serves HTTPS on 8701 (the harness's trustme certificate), and every login returns the
fake's own https://127.0.0.1:<port> as instance_url.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request

from simulators.core.sim import Sim, Vendor, install

from . import control, errors as E, portal
from . import routes_apex, routes_auth, routes_composite, routes_query, routes_sobjects
from .routes_sobjects import body_json
from .state import Org

SCHEMA_DIR = Path(__file__).with_name("schemas")
PUBLIC = frozenset({"auth.soap_login", "auth.oauth_token", "auth.revoke", "versions", "apex.site", "unknown"}) \
    | portal.ENDPOINTS


def _token() -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value:
        return value.strip()
    return request.headers.get("X-SFDC-Session")


def _one_transaction_per_request(app: Flask, org) -> None:
    """Every vendor request (REST, composite, collections, Apex REST, logins) is one transaction:
    isolated from other threads, committed when the handler returns, rolled back when it raises
    (state/transactions.py). The control plane (``/_sim``) is not wrapped."""
    def origin() -> str | None:
        args = request.view_args or {}   # Apex REST sets its own origin (routes_apex.py)
        if "version" in args:
            return f"com/salesforce/api/rest/{args['version']}"
        return None

    for rule in app.url_map.iter_rules():
        # the portal (/billing/s) opens its own short transactions: a payment calls Stripe in between
        if rule.rule.startswith("/_sim") or rule.endpoint == "static" or rule.endpoint.startswith("portal."):
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "_sf_transactional", False):
            wrapped = org.db.transactional(view, origin)
            wrapped._sf_transactional = True
            app.view_functions[rule.endpoint] = wrapped


def create_app(clock=None, seed=None, validation: str = "strict", live: bool = False, **options) -> Flask:
    app = Flask(__name__)
    app.url_map.strict_slashes = False

    def authenticate() -> str | None:
        session = org.sessions.check(_token())
        if session is None:
            raise E.InvalidSessionId("Session expired or invalid")
        if not org.security.api_enabled(org.security.user(session["user"])):
            raise E.ApiDisabled("API is not enabled for this Organization or Partner")
        used = org.count_api_call()
        if org.settings.get("enforce_api_limit") and used > org.settings["api_daily_max"]:
            raise E.RequestLimitExceeded("TotalRequests Limit exceeded.")
        g.sf_session = session
        # field-level security for this request; a stack, because composite subrequests are nested
        # requests that share the outer request's app context (and so its ``g``)
        g.setdefault("sf_acting", []).append(org.security.act_as(session["user"]))
        return session.get("client_id") or session["user"]

    def violation(v) -> E.SalesforceError:
        first = v.errors[0] if v.errors else {"message": "invalid request"}
        where = f" at {first['path']}" if first.get("path") else ""
        return E.JsonParserError(f"{first['message']}{where}")

    def read_body():
        """The body schema validation sees: JSON only (another declared type is the REST API's 415)."""
        if not request.get_data(cache=True):
            return None
        return body_json(require_object=False)

    vendor = Vendor(
        name="salesforce", read_body=read_body, render_error=E.render, http_error=E.http_error, fault_error=E.from_fault, fault_codes=E.FAULT_CODES, violation_error=violation,
        authenticate=authenticate, public_operations=PUBLIC,
        latency_profiles={"typical": {"*": {"kind": "lognormal", "median_ms": 180, "sigma": 0.5},
                                      "query.*": {"kind": "lognormal", "median_ms": 250, "sigma": 0.6}}},
        operation_attrs=lambda: {"sobject": (request.view_args or {}).get("sobject", "")},
    )
    sim = Sim(vendor, clock=clock, seed=seed, schema_dir=SCHEMA_DIR, validation=validation)
    org = Org(sim, live=live)
    for key, value in options.items():
        if key in org.settings:
            org.settings[key] = value
    app.extensions["salesforce"] = org

    @app.before_request
    def _base_url():
        # Live: instance_url and outbound-message URLs name the fake's own address.
        if live and not request.path.startswith("/_sim"):
            org.settings["base_url"] = f"https://{request.host}"

    install(app, sim)

    routes_auth.register(app, org)
    routes_sobjects.register(app, org)
    routes_query.register(app, org)
    routes_composite.register(app, org)
    routes_apex.register(app, org)
    control.register(sim, org)
    portal.register(app, org)
    _one_transaction_per_request(app, org)

    @app.teardown_request
    def _stop_acting(exc):
        stack = g.get("sf_acting")
        if stack:
            org.security.release(stack.pop())

    @app.after_request
    def _limit_info(resp):
        if request.path.startswith("/services/data") or request.path.startswith("/services/apexrest"):
            resp.headers["Sforce-Limit-Info"] = org.limit_info()
        return resp

    @app.errorhandler(404)
    def _not_found(exc):
        """The portal's own page for a path under /billing/s/ that does not exist; the REST API's
        NOT_FOUND body for any other (the rest of the HTTP errors: core/sim.py)."""
        if request.path.startswith("/billing/s/"):
            return portal.not_found()
        return E.render(E.http_error(404, None))

    return app
