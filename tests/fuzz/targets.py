"""What the fuzzer knows about each fake: valid requests to start from, credentials to break, and
how the vendor's own error body looks (the check every answer >= 400 must pass).

Error shapes (the vendors' references):
- Stripe: ``{"error": {"type", "message", "code"?, "param"?}}`` (docs.stripe.com/api/errors).
- Salesforce REST: ``[{"message", "errorCode", "fields"?}]`` (api_rest/errorcodes.htm); the OAuth
  token endpoint answers RFC 6749 ``{"error", "error_description"}``; the SOAP login answers a
  SOAP fault with HTTP 500, as the real API does (the only 5xx a fuzzed request may get).
- AvaTax: ``{"error": {"code", "message", "target", "details": [...]}}`` (developer.avalara.com/avatax/errors).
- NetSuite REST: ``{"type", "title", "status", "o:errorDetails": [...]}`` (NetSuite help,
  "Error Handling in REST Web Services").
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from simulators import registry


@dataclass
class Req:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    note: str = "valid"

    def replace(self, **kw: Any) -> "Req":
        data = {**self.__dict__, "headers": dict(self.headers), **kw}
        return Req(**data)


@dataclass
class Target:
    name: str
    base_url: str
    templates: Callable[[Any], list[Req]]          # app -> valid requests
    auth: dict[str, str]                             # the good credential header(s)
    shaped: Callable[[Req, int, str, bytes], bool]   # is this error answer in the vendor's shape?
    allowed_5xx: Callable[[Req, int], bool] = lambda req, status: False
    json_bodies: bool = True                         # JSON (else Stripe's form encoding)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _is_json(ctype: str) -> bool:
    return "json" in (ctype or "")


# ---- Stripe ----------------------------------------------------------------------------------
def _stripe_shaped(req: Req, status: int, ctype: str, body: bytes) -> bool:
    data = _json(body) if _is_json(ctype) else None
    err = data.get("error") if isinstance(data, dict) else None
    return isinstance(err, dict) and isinstance(err.get("type"), str) and isinstance(err.get("message"), str)


def _stripe_templates(app) -> list[Req]:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return [
        Req("GET", "/v1/customers", "limit=3"),
        Req("POST", "/v1/customers", headers=form, body=b"name=Acme&email=a%40acme.test&metadata[k]=v"),
        Req("GET", "/v1/customers/cus_000000000000"),
        Req("POST", "/v1/invoices", headers=form, body=b"customer=cus_000000000000&collection_method=send_invoice"
            b"&days_until_due=30&metadata[order]=O-1"),
        Req("GET", "/v1/invoices", "limit=10&status=open"),
        Req("POST", "/v1/invoiceitems", headers=form, body=b"customer=cus_x&amount=1000&currency=usd"),
        Req("POST", "/v1/payment_intents", headers=form,
            body=b"amount=2000&currency=usd&allowed_payment_method_types[]=card&expand[]=latest_charge"),
        Req("GET", "/v1/payment_intents", "limit=2&starting_after=pi_x"),
        Req("POST", "/v1/refunds", headers=form, body=b"payment_intent=pi_x&amount=100"),
        Req("GET", "/v1/events", "limit=5&type=invoice.paid"),
        Req("POST", "/v1/webhook_endpoints", headers=form,
            body=b"url=https%3A%2F%2Fexample.test%2Fhook&enabled_events[]=*"),
        Req("GET", "/v1/balance"),
        Req("GET", "/v1/charges/ch_x"),
        Req("POST", "/v1/test_helpers/test_clocks", headers=form, body=b"frozen_time=1767225600"),
    ]


# ---- Salesforce --------------------------------------------------------------------------------
def _sf_shaped(req: Req, status: int, ctype: str, body: bytes) -> bool:
    if req.path.startswith("/services/Soap/") and b"<faultcode>" in body:
        return True
    data = _json(body) if _is_json(ctype) else None
    if req.path.startswith("/services/oauth2/") and isinstance(data, dict):
        return isinstance(data.get("error"), str) and "error_description" in data
    return (isinstance(data, list) and bool(data) and all(
        isinstance(e, dict) and isinstance(e.get("message"), str) and isinstance(e.get("errorCode"), str)
        for e in data))


SOAP_LOGIN = (b'<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/'
              b'envelope/" xmlns:n1="urn:partner.soap.sforce.com"><env:Body><n1:login><n1:username>'
              b'integration@o2c.test</n1:username><n1:password>o2c-passwordO2CTOKEN</n1:password></n1:login>'
              b'</env:Body></env:Envelope>')
JWT = ("eyJhbGciOiJSUzI1NiJ9." + base64.urlsafe_b64encode(json.dumps(
    {"iss": "o2c-client-id", "sub": "integration@o2c.test", "aud": "https://login.salesforce.com",
     "exp": 1893456000}).encode()).decode().rstrip("=") + ".c2ln")


def _sf_templates(app) -> list[Req]:
    j = {"Content-Type": "application/json"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    v = "/services/data/v59.0"
    return [
        Req("GET", v + "/query", "q=SELECT+Id,+Name+FROM+Account+WHERE+Name+LIKE+'A%25'+LIMIT+5"),
        Req("GET", v + "/query", "q=SELECT+Id+FROM+Order+WHERE+CreatedDate+>+2026-01-01T00:00:00Z"),
        Req("GET", v + "/sobjects/Account/001000000000000AAA"),
        Req("GET", v + "/sobjects/Account/describe"),
        Req("POST", v + "/sobjects/Account", headers=j, body=b'{"Name": "Fuzz Co", "Customer_Key__c": "FZ-1"}'),
        Req("PATCH", v + "/sobjects/Order/801000000000000AAA", headers=j, body=b'{"Status": "Activated"}'),
        Req("POST", v + "/composite", headers=j, body=json.dumps({"allOrNone": True, "compositeRequest": [
            {"method": "GET", "url": v + "/sobjects/Account/001000000000000AAA", "referenceId": "a"}]}).encode()),
        Req("POST", v + "/composite/sobjects", headers=j, body=json.dumps({"allOrNone": False, "records": [
            {"attributes": {"type": "Account"}, "Name": "X"}]}).encode()),
        Req("GET", v + "/limits"),
        Req("POST", "/services/oauth2/token", headers={**form, "Authorization": ""},
            body=b"grant_type=password&client_id=o2c-client-id&client_secret=o2c-client-secret"
                 b"&username=integration%40o2c.test&password=o2c-passwordO2CTOKEN"),
        Req("POST", "/services/oauth2/token", headers={**form, "Authorization": ""},
            body=b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + JWT.encode()),
        Req("POST", "/services/Soap/u/59.0", headers={"Content-Type": "text/xml", "SOAPAction": "login",
                                                      "Authorization": ""}, body=SOAP_LOGIN),
    ]


# ---- AvaTax ------------------------------------------------------------------------------------
def _ava_shaped(req: Req, status: int, ctype: str, body: bytes) -> bool:
    data = _json(body) if _is_json(ctype) else None
    err = data.get("error") if isinstance(data, dict) else None
    return (isinstance(err, dict) and all(isinstance(err.get(k), str) for k in ("code", "message", "target"))
            and isinstance(err.get("details"), list))


ADDR = {"line1": "2000 Main Street", "city": "Irvine", "region": "CA", "country": "US", "postalCode": "92614"}


def _ava_templates(app) -> list[Req]:
    j = {"Content-Type": "application/json"}
    model = {"type": "SalesOrder", "companyCode": "DEFAULT", "date": "2026-01-05", "customerCode": "ACME",
             "addresses": {"singleLocation": ADDR}, "lines": [{"number": "1", "amount": 100, "quantity": 1,
                                                               "itemCode": "HW-ROUTER"}]}
    inv = {**model, "type": "SalesInvoice", "code": "INV-1", "commit": True}
    return [
        Req("GET", "/api/v2/utilities/ping"),
        Req("POST", "/api/v2/transactions/create", headers=j, body=json.dumps(model).encode()),
        Req("POST", "/api/v2/transactions/createoradjust", headers=j,
            body=json.dumps({"createTransactionModel": inv}).encode()),
        Req("GET", "/api/v2/companies/DEFAULT/transactions/INV-1", "$include=Lines"),
        Req("POST", "/api/v2/companies/DEFAULT/transactions/INV-1/void", headers=j, body=b'{"code": "DocVoided"}'),
        Req("POST", "/api/v2/companies/DEFAULT/transactions/INV-1/commit", headers=j, body=b'{"commit": true}'),
        Req("POST", "/api/v2/companies/DEFAULT/transactions/INV-1/refund", headers=j,
            body=b'{"refundTransactionCode": "R-1", "refundDate": "2026-02-01", "refundType": "Full"}'),
        Req("GET", "/api/v2/companies/DEFAULT/transactions", "$top=5&$skip=0"),
    ]


# ---- ERP (NetSuite REST) -------------------------------------------------------------------------
def _erp_shaped(req: Req, status: int, ctype: str, body: bytes) -> bool:
    data = _json(body) if _is_json(ctype) else None
    return (isinstance(data, dict) and isinstance(data.get("title"), str) and isinstance(data.get("type"), str)
            and data.get("status") == status and isinstance(data.get("o:errorDetails"), list))


def _erp_templates(app) -> list[Req]:
    j = {"Content-Type": "application/json"}
    r = "/services/rest/record/v1"
    return [
        Req("GET", r + "/customer", "limit=5&offset=0"),
        Req("GET", r + "/customer/1"),
        Req("POST", r + "/customer", headers=j, body=b'{"companyName": "Fuzz", "externalId": "FZ-1", '
                                                      b'"email": "f@z.test", "subsidiary": {"id": "1"}}'),
        Req("PATCH", r + "/customer/1", headers=j, body=b'{"email": "new@z.test"}'),
        Req("POST", r + "/salesOrder", headers=j, body=json.dumps({"entity": {"id": "1"}, "tranDate": "2026-01-05",
            "item": {"items": [{"item": {"id": "1"}, "quantity": 2, "rate": 10.5}]}}).encode()),
        Req("GET", r + "/salesOrder", "limit=2&q=status+IS+pendingBilling"),
        Req("POST", r + "/salesOrder/1/!transform/invoice", headers=j, body=b"{}"),
        Req("POST", "/services/rest/query/v1/suiteql", "limit=10&offset=0", headers={**j, "Prefer": "transient"},
            body=b'{"q": "SELECT id, tranid FROM transaction WHERE trandate >= TO_DATE(\'2026-01-01\', '
                 b'\'YYYY-MM-DD\')"}'),
        Req("GET", r + "/invoice", "limit=3"),
        Req("POST", r + "/customerPayment", headers=j, body=b'{"customer": {"id": "1"}, "payment": 10}'),
    ]


def _stripe_target() -> Target:
    return Target("stripe", registry.FAKES["stripe"].inprocess_url, _stripe_templates,
                  {"Authorization": "Bearer sk_test_o2c"}, _stripe_shaped, json_bodies=False)


TARGETS: dict[str, Callable[[], Target]] = {
    "stripe": _stripe_target,
    "salesforce": lambda: Target(
        "salesforce", "https://o2c.my.salesforce.com", _sf_templates, {"Authorization": "Bearer <session>"},
        _sf_shaped, allowed_5xx=lambda req, status: status == 500 and req.path.startswith("/services/Soap/")),
    "avalara": lambda: Target("avalara", registry.FAKES["avalara"].inprocess_url, _ava_templates,
                              {"Authorization": "Basic " + base64.b64encode(b"123456:o2c-license-key").decode()},
                              _ava_shaped),
    "erp": lambda: Target("erp", "https://o2c-sb1.suitetalk.api.netsuite.com", _erp_templates,
                          {"Authorization": "Bearer o2c-erp-token"}, _erp_shaped),
}
