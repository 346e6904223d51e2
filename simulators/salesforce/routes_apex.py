"""Apex REST routing: ``/services/apexrest/<mapping>`` (session required) and
``/<site>/services/apexrest/<mapping>`` (public Site, guest user) -> handlers registered in
``org.apex`` (see ``state/apex.py``)."""
from __future__ import annotations

import json

from flask import Flask, Response, g, request

from simulators.core.sim import json_response

from . import errors as E
from .state.apex import ApexRequest, ApexResponse

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def register(app: Flask, org) -> None:
    def dispatch(uri: str, site: str | None):
        uri = "/" + uri.lstrip("/")
        routes = org.apex.find(uri, site)
        if not routes:
            raise E.NotFound(f"Could not find a match for URL {uri}")
        allowed = [r for r in routes if request.method in r.methods]
        if not allowed:
            raise E.MethodNotAllowed(f"HTTP Method '{request.method}' not allowed. Allowed are "
                                     f"{','.join(sorted({m for r in routes for m in r.methods}))}")
        req = ApexRequest(method=request.method, request_uri=uri, headers=dict(request.headers),
                          params=request.args.to_dict(), body=request.get_data(), site=site,
                          user=getattr(g, "caller", None) if site is None else "guest")
        try:
            # Apex classes run in system mode: field-level security is not enforced inside them
            with org.security.system_mode(), org.db.transaction(origin=f"com/salesforce/apex/{uri}"):
                result = allowed[0].handler(req, org)
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
            return Response(b"", status, headers)
        if isinstance(body, (bytes, str)):
            return Response(body, status, headers, mimetype=headers.get("Content-Type", "text/plain"))
        return json_response(body, status, headers)

    def authed(uri):
        return dispatch(uri, None)

    def site(site, uri):
        return dispatch(uri, site)

    app.add_url_rule("/services/apexrest/<path:uri>", endpoint="apex.rest", view_func=authed, methods=METHODS)
    app.add_url_rule("/<site>/services/apexrest/<path:uri>", endpoint="apex.site", view_func=site, methods=METHODS)
