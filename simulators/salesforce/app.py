"""The fake Salesforce: ``create_app`` wires the vendor hooks, the org state and the routes.

The API (``/services/...``: REST, composite, SOAP and OAuth logins, Apex REST, and public Sites'
``/<site>/services/apexrest/...``) is served by the core lane (``simulators.core.lane``): one route
table, operation name -> handler, behind the shared pipeline (faults, vendor limits, session auth,
schema validation, journal). Every API request is one transaction of the org (state/transactions.py),
holding the org's lock. Live, a request runs on the server's worker threads, except a read (the
``INLINE_READS`` endpoints) that finds the org's lock free: it takes the lock without waiting and runs on
the event loop, skipping the hand-off to a thread; a read that finds the lock held (another request is
writing) goes to a worker like any other request, so the event loop never waits on the lock. While any
fault rule or latency profile is set, every request runs on a worker (a latency fault is really waited). Flask
serves only what earns it: the customer portal (``/billing/s/``) and the control plane (``/_sim``).

In-process it answers for login.salesforce.com, test.salesforce.com and *.my.salesforce.com;
live it serves HTTPS on 8701 (the harness's trustme certificate), and every login returns the
fake's own https://127.0.0.1:<port> as instance_url.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, request

from simulators.core.lane import Lane, LaneHooks, LaneRequest
from simulators.core.sim import HttpProblem, Sim, Vendor, install

from . import control, errors as E, portal
from . import routes_apex, routes_auth, routes_composite, routes_query, routes_sobjects
from . import routes_batch, routes_bulk1, routes_bulk2, routes_graph, routes_tree, routes_views
from .http import body_json, error_answer, host
from .state import Org

SCHEMA_DIR = Path(__file__).with_name("schemas")
PUBLIC = frozenset({"auth.soap_login", "auth.oauth_token", "auth.revoke", "versions", "apex.site", "unknown"}) \
    | portal.ENDPOINTS
LIMIT_INFO_PREFIXES = ("/services/data", "/services/apexrest")
# reads that never wait on anything but the org's lock: live, they run on the event loop when the lock is free
INLINE_READS = frozenset({"resources", "versions", "limits", "sobjects.describe_global", "sobjects.basic",
                          "sobjects.describe", "sobjects.record", "sobjects.external", "query.run", "query.all",
                          "query.more", "query.all_more"})
LOCK_HELD = "o2c.salesforce_lock"   # environ key: the event loop took the org's lock for this request


def bearer(authorization: str | None, session_header: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value:
        return value.strip()
    return session_header


def site_apex(path: str) -> bool:
    """``/<site>/services/apexrest/...``: a public Site's Apex REST, served by the lane too."""
    parts = path.split("/", 4)
    return len(parts) >= 4 and parts[2] == "services" and parts[3] == "apexrest"


def _flask_error(exc) -> Response:
    status, body = E.render_body(exc)
    return Response(body, status=status, mimetype="application/json")


def create_app(clock=None, seed=None, validation: str = "strict", live: bool = False, **options) -> Flask:
    app = Flask(__name__)
    app.url_map.strict_slashes = False

    def check_session(token: str | None, count: bool = True) -> dict:
        """The session of a request; counted against DailyApiRequests unless it is a subrequest of a
        composite, composite batch or graph request: Salesforce counts the composite call once, not its
        subrequests (developer.salesforce.com api_rest resources_composite_composite: "The API
        usage of a composite request counts as one call")."""
        session = org.sessions.check(token)
        if session is None:
            raise E.InvalidSessionId("Session expired or invalid")
        if not org.security.api_enabled(org.security.user(session["user"])):
            raise E.ApiDisabled("API is not enabled for this Organization or Partner")
        if not count:
            return session
        used = org.count_api_call()
        if org.settings.get("enforce_api_limit") and used > org.settings["api_daily_max"]:
            raise E.RequestLimitExceeded("TotalRequests Limit exceeded.")
        return session

    def violation(v) -> E.SalesforceError:
        first = v.errors[0] if v.errors else {"message": "invalid request"}
        where = f" at {first['path']}" if first.get("path") else ""
        return E.JsonParserError(f"{first['message']}{where}")

    def flask_authenticate() -> str | None:
        """A Flask route that is not public (none today: the portal has its own login)."""
        session = check_session(bearer(request.headers.get("Authorization"), request.headers.get("X-SFDC-Session")))
        return session.get("client_id") or session["user"]

    vendor = Vendor(
        name="salesforce", render_error=_flask_error, http_error=E.http_error, fault_error=E.from_fault,
        fault_codes=E.FAULT_CODES, violation_error=violation, authenticate=flask_authenticate,
        public_operations=PUBLIC,
        latency_profiles={"typical": {"*": {"kind": "lognormal", "median_ms": 180, "sigma": 0.5},
                                      "query.*": {"kind": "lognormal", "median_ms": 250, "sigma": 0.6}}},
    )
    sim = Sim(vendor, clock=clock, seed=seed, schema_dir=SCHEMA_DIR, validation=validation)
    org = Org(sim, live=live)
    for key, value in options.items():
        if key in org.settings:
            org.settings[key] = value
    app.extensions["salesforce"] = org

    # ---- the lane's hooks: the API pipeline ----------------------------------------------------
    def authenticate(req: LaneRequest) -> str | None:
        session = check_session(bearer(req.header("Authorization"), req.header("X-SFDC-Session")),
                                count=not req.environ.get(routes_composite.SUBREQUEST))
        req.cache["session"] = session
        return session.get("client_id") or session["user"]

    def params(req: LaneRequest):
        """The body schema validation sees: JSON only (another declared type is the REST API's 415)."""
        return body_json(req, require_object=False) if req.body() else None

    def dispatch(req: LaneRequest, handler):
        """One transaction per request (committed when the handler returns, rolled back when it
        raises), acting as the session's user for field-level security (a contextvar: composite
        subrequests nest)."""
        session = req.cache.get("session")
        acting = org.security.act_as(session["user"]) if session else None
        version = req.url_args.get("version")
        origin = f"com/salesforce/api/rest/{version}" if version else None
        base_url = f"https://{host(req)}" if live else None   # outbound messages name the address used
        try:
            with org.db.transaction(origin, base_url=base_url):
                return handler(req, **req.url_args)
        finally:
            if acting is not None:
                org.security.release(acting)

    def finish(req: LaneRequest, headers) -> None:
        if req.path.startswith(LIMIT_INFO_PREFIXES):
            headers.append(("Sforce-Limit-Info", org.limit_info()))

    def method_not_allowed(req: LaneRequest, allowed: tuple[str, ...]) -> E.SalesforceError:
        return E.http_error(405, HttpProblem(req.method, req.path, allowed=allowed))

    hooks = LaneHooks(
        begin=lambda req: None, authenticate=authenticate, params=params, dispatch=dispatch,
        render_error=error_answer, not_found=lambda req: E.NotFound("The requested resource does not exist"),
        finish=finish, attrs=lambda req: {"sobject": req.url_args.get("sobject", "")},
        method_not_allowed=method_not_allowed)
    lane = Lane(sim, hooks, app.wsgi_app, prefix="/services/", owns=site_apex)

    def inline(environ) -> bool:
        """Live: whether a request runs on the event loop: a read whose org lock is free, taken here
        without waiting and held until the request is answered (``serve_lane`` releases it)."""
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or lane.endpoint(environ) not in INLINE_READS:
            return False
        if sim.faults.active():   # a latency fault is waited out on a worker, as every other request's
            return False
        if not org.store.lock.acquire(blocking=False):
            return False
        environ[LOCK_HELD] = True
        return True

    def serve_lane(environ, start_response):
        try:
            return lane(environ, start_response)
        finally:
            if environ.pop(LOCK_HELD, False):
                org.store.lock.release()

    hooks.inline = inline
    app.wsgi_app = serve_lane
    app.extensions["lane"] = lane

    install(app, sim)
    for routes in (routes_auth, routes_views, routes_sobjects, routes_query, routes_composite, routes_batch,
                   routes_graph, routes_tree,
                   routes_bulk1, routes_bulk2, routes_apex):
        routes.register(lane, org)
    control.register(sim, org)
    portal.register(app, org)

    @app.errorhandler(404)
    def _not_found(exc):
        """The portal's own page for a path under /billing/s/ that does not exist; the REST API's
        NOT_FOUND body for any other (the rest of the HTTP errors: core/sim.py)."""
        if request.path.startswith("/billing/s/"):
            return portal.not_found()
        return _flask_error(E.http_error(404, None))

    return app
