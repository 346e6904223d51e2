"""Apex REST routing: ``/services/apexrest/<mapping>`` (session required) and
``/<site>/services/apexrest/<mapping>`` (public Site, guest user) -> handlers registered in
``org.apex`` (see ``state/apex.py``)."""
from __future__ import annotations

from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import args, empty, headers_of, json_answer, raw_answer
from .state.apex import ApexRequest, ApexResponse

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def register(lane: Lane, org) -> None:
    def dispatch(req: LaneRequest, uri: str, site: str | None):
        uri = "/" + uri.lstrip("/")
        routes = org.apex.find(uri, site)
        if not routes:
            raise E.NotFound(f"Could not find a match for URL {uri}")
        allowed = [r for r in routes if req.method in r.methods]
        if not allowed:
            raise E.MethodNotAllowed(f"HTTP Method '{req.method}' not allowed. Allowed are "
                                     f"{','.join(sorted({m for r in routes for m in r.methods}))}")
        session = req.cache.get("session")
        apex_req = ApexRequest(method=req.method, request_uri=uri, headers=headers_of(req), params=dict(args(req)),
                               body=req.body(), site=site,
                               user=(session or {}).get("user") if site is None else "guest")
        try:
            # Apex classes run in system mode: field-level security is not enforced inside them
            with org.security.system_mode(), org.db.transaction(origin=f"com/salesforce/apex/{uri}"):
                result = allowed[0].handler(apex_req, org)
        except E.SalesforceError:
            raise
        except Exception as exc:  # an unhandled Apex exception
            raise E.ApexError(f"System.{type(exc).__name__}: {exc}\n\nClass.{allowed[0].handler.__name__}: line 1, "
                              f"column 1")
        if isinstance(result, ApexResponse):
            body, status, headers = result.body, result.status, result.headers
        else:
            body, status, headers = result, 200, {}
        if body is None:
            return empty(status, headers)
        if isinstance(body, (bytes, str)):
            return raw_answer(body, status, headers.get("Content-Type", "text/plain; charset=utf-8"), headers)
        return json_answer(body, status, headers)

    def authed(req, uri):
        return dispatch(req, uri, None)

    def site(req, site, uri):
        return dispatch(req, uri, site)

    for method in METHODS:
        lane.add(method, "/services/apexrest/<path:uri>", "apex.rest", authed)
        lane.add(method, "/<site>/services/apexrest/<path:uri>", "apex.site", site)
