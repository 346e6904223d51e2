"""Apex REST: ``/services/apexrest/<urlMapping>`` (authenticated) and
``/<sitePrefix>/services/apexrest/<urlMapping>`` (a public Force.com Site, guest user) routed to
handlers registered in Python, the way an ``@RestResource(urlMapping='/o2c/invoices/*')`` class
is bound in a real org.

Register one on a running app::

    from simulators.salesforce.state.apex import ApexResponse
    org = app.extensions["salesforce"]
    @org.apex.route("/stripe/webhook", methods=["POST"], site="payments")   # public
    def stripe_webhook(req, org):
        org.db.create("blng__Payment__c", {...})
        return ApexResponse(200, {"received": True})

A handler gets an ``ApexRequest`` and the org; it returns an ``ApexResponse``, a dict/list
(JSON, 200), a string (text), or None (204... as Apex ``void`` does: 200 with empty body).
An unhandled exception is a 500 with ``[{"errorCode": "APEX_ERROR", "message": "<Type>: <msg>"}]``.
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class ApexRequest:
    method: str
    request_uri: str  # the part after /services/apexrest, as RestContext.request.requestURI
    headers: dict[str, str]
    params: dict[str, str]
    body: bytes
    site: str | None = None
    user: str | None = None

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class ApexResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ApexRoute:
    url_mapping: str
    handler: Callable[[ApexRequest, Any], Any]
    methods: tuple[str, ...]
    site: str | None  # None: authenticated /services/apexrest; else the public site prefix

    def matches(self, uri: str) -> bool:
        pattern = self.url_mapping if self.url_mapping.startswith("/") else "/" + self.url_mapping
        return fnmatch.fnmatchcase(uri, pattern) or uri == pattern


class ApexRegistry:
    def __init__(self):
        self.routes: list[ApexRoute] = []

    def register(self, url_mapping: str, handler, methods=("GET", "POST", "PUT", "PATCH", "DELETE"),
                 site: str | None = None) -> ApexRoute:
        route = ApexRoute(url_mapping, handler, tuple(m.upper() for m in methods), site)
        self.routes.insert(0, route)  # later registrations win
        return route

    def route(self, url_mapping: str, methods=("GET", "POST", "PUT", "PATCH", "DELETE"), site: str | None = None):
        def deco(fn):
            self.register(url_mapping, fn, methods, site)
            return fn
        return deco

    def find(self, uri: str, site: str | None) -> list[ApexRoute]:
        return [r for r in self.routes if r.site == site and r.matches(uri)]


def invoice_status(req: ApexRequest, org) -> Any:
    """Built-in example: ``GET /services/apexrest/o2c/invoices/<ERP_Invoice_Id__c>`` returns the
    mirror's status; ``PATCH`` with ``{"onHold": true}`` puts it on hold."""
    key = req.request_uri.rstrip("/").rsplit("/", 1)[-1]
    matches = org.db.by_external(org.registry.objects["blng__Invoice__c"], "ERP_Invoice_Id__c", key)
    if not matches:
        return ApexResponse(404, [{"errorCode": "NOT_FOUND", "message": f"No invoice {key}"}])
    inv = matches[0]
    if req.method == "PATCH":
        body = req.json() or {}
        inv = org.db.update("blng__Invoice__c", inv["Id"], {"On_Hold__c": bool(body.get("onHold"))})
    from .values import to_json
    return {"id": inv["Id"], "erpInvoiceId": inv.get("ERP_Invoice_Id__c"), "status": inv.get("blng__InvoiceStatus__c"),
            "paymentStatus": inv.get("blng__PaymentStatus__c"), "balance": to_json(inv.get("blng__Balance__c")),
            "dueDate": to_json(inv.get("blng__DueDate__c")), "onHold": bool(inv.get("On_Hold__c")),
            "lastDunningStage": inv.get("Last_Dunning_Stage__c")}


def builtin(registry: ApexRegistry) -> None:
    registry.register("/o2c/invoices/*", invoice_status, methods=("GET", "PATCH"))
