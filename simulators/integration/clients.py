"""Connections to the four systems with the libraries a real team would use, and one place that
sorts their failures into Retryable (try again later), AlreadyExists (a create refused because the
record is there: the caller re-reads it) and Permanent (dead-letter).

Retryable, for every system: a dropped or timed-out connection, HTTP 429 and 5xx, and the
transient conditions vendors put in 4xx bodies: Salesforce ``UNABLE_TO_LOCK_ROW``,
``REQUEST_LIMIT_EXCEEDED`` (403), ``INVALID_SESSION_ID`` (after one re-login); NetSuite
``RCRD_HAS_BEEN_CHANGED``, ``SSS_REQUEST_LIMIT_EXCEEDED`` (400), ``SESSION_TIMED_OUT`` (401); Stripe
any answer with ``Stripe-Should-Retry: true`` and 409 ``idempotency_key_in_use``. A dropped
connection may come after the write was applied: every create is keyed (external id, Stripe
idempotency key) or preceded by a read, so the retry finds the record instead of making a second.
"""
from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Callable

import requests
import stripe
from avalara import AvataxClient
from requests_oauthlib import OAuth1
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (SalesforceError, SalesforceExpiredSession, SalesforceGeneralError,
                                          SalesforceMalformedRequest, SalesforceRefusedRequest,
                                          SalesforceResourceNotFound)

from .config import Config
from .jobs import AlreadyExists, Permanent, Retryable

TRANSIENT_SF = {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "INVALID_SESSION_ID",
                "UNKNOWN_EXCEPTION"}
# NetSuite REST: "o:errorCode" values that clear by themselves (concurrency governance, a record
# changed under us, an expired session, an unexpected server error).
TRANSIENT_ERP = {"CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED", "RCRD_HAS_BEEN_CHANGED",
                 "SESSION_TIMED_OUT", "UNEXPECTED_ERROR", "SERVICE_UNAVAILABLE"}
DUPLICATE = {"DUP_RCRD", "DUPLICATE_VALUE"}
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def _session(config: Config) -> requests.Session:
    s = requests.Session()
    if config.ca_bundle:
        s.verify = config.ca_bundle
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment would override session.verify.
        s.trust_env = False
    return s


def check(resp: requests.Response, what: str) -> requests.Response:
    """Raise Retryable for 429/5xx and transient error codes, AlreadyExists for a duplicate,
    Permanent for other 4xx."""
    if resp.status_code == 429 or resp.status_code >= 500:
        raise Retryable(f"{what}: HTTP {resp.status_code} {resp.text[:200]}")
    if resp.status_code >= 400:
        code = error_code(resp)
        if code in TRANSIENT_SF or code in TRANSIENT_ERP:
            raise Retryable(f"{what}: HTTP {resp.status_code} {code}")
        if code in DUPLICATE:
            raise AlreadyExists(f"{what}: HTTP {resp.status_code} {code}: {resp.text[:300]}")
        raise Permanent(f"{what}: HTTP {resp.status_code} {resp.text[:500]}")
    return resp


def error_code(resp: requests.Response) -> str | None:
    """The vendor's error code from an error body: Salesforce ``[{"errorCode"}]``, NetSuite
    ``{"o:errorDetails": [{"o:errorCode"}]}``, AvaTax ``{"error": {"code"}}``."""
    try:
        body = resp.json()
    except ValueError:
        return None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get("errorCode")
    if isinstance(body, dict):
        details = body.get("o:errorDetails")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            return details[0].get("o:errorCode")
        err = body.get("error")
        if isinstance(err, dict):
            return err.get("code")
    return None


def transient_network(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except NETWORK_ERRORS as exc:
            raise Retryable(f"network: {exc}") from exc
    return wrapper


# ---- Salesforce -------------------------------------------------------------------------------
class SalesforceConn:
    """simple-salesforce with an OAuth password login, re-login on an expired session."""

    def __init__(self, config: Config):
        self.config = config
        self._sf: Salesforce | None = None
        self.org_id: str | None = None   # the connected org (from the OAuth identity URL)

    def login(self) -> Salesforce:
        c = self.config
        session = _session(c)
        resp = transient_network(session.post)(f"{c.salesforce_url}/services/oauth2/token", data={
            "grant_type": "password", "client_id": c.sf_client_id, "client_secret": c.sf_client_secret,
            "username": c.sf_username, "password": c.sf_password + c.sf_token}, timeout=c.http_timeout)
        check(resp, "salesforce login")
        token = resp.json()
        # "id": https://login.salesforce.com/id/<organization id>/<user id> (OAuth 2.0 identity URL)
        parts = str(token.get("id") or "").rstrip("/").split("/")
        self.org_id = parts[-2] if len(parts) >= 2 and parts[-2].startswith("00D") else None
        self._sf = Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=session)
        return self._sf

    @property
    def sf(self) -> Salesforce:
        return self._sf or self.login()

    def call(self, fn: Callable[[Salesforce], Any]) -> Any:
        try:
            try:
                return fn(self.sf)
            except SalesforceExpiredSession:
                # An expired or revoked session (timeout, org reset, password change): log in again
                # and retry once at once, as simple-salesforce does when it holds credentials.
                self._sf = None
                return fn(self.sf)
        except SalesforceExpiredSession as exc:
            self._sf = None
            raise Retryable(f"salesforce session expired: {exc}") from exc
        except (SalesforceMalformedRequest, SalesforceRefusedRequest, SalesforceGeneralError) as exc:
            code = _sf_code(exc)
            if code in TRANSIENT_SF or isinstance(exc, SalesforceGeneralError):
                raise Retryable(f"salesforce {code or exc.status}") from exc
            if code in DUPLICATE:
                raise AlreadyExists(f"salesforce {code}: {exc.content}") from exc
            raise Permanent(f"salesforce {code}: {exc.content}") from exc
        except SalesforceResourceNotFound as exc:
            raise Permanent(f"salesforce not found: {exc.content}") from exc
        except NETWORK_ERRORS as exc:
            raise Retryable(f"salesforce network: {exc}") from exc

    def query(self, soql: str) -> list[dict[str, Any]]:
        return self.call(lambda sf: sf.query_all(soql)["records"])

    def upsert(self, sobject: str, ext_field: str, value: str, fields: dict[str, Any]) -> None:
        self.call(lambda sf: getattr(sf, sobject).upsert(f"{ext_field}/{value}", wire(fields)))

    def create(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        return self.call(lambda sf: getattr(sf, sobject).create(wire(fields)))

    def update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        self.call(lambda sf: getattr(sf, sobject).update(record_id, wire(fields)))

    def get_by(self, sobject: str, ext_field: str, value: str) -> dict[str, Any]:
        return self.call(lambda sf: getattr(sf, sobject).get_by_custom_id(ext_field, value))


def _sf_code(exc: SalesforceError) -> str | None:
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


def wire(obj: Any) -> Any:
    """Money is Decimal inside; JSON numbers on the wire (the one place it is converted)."""
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, dict):
        return {k: wire(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [wire(v) for v in obj]
    return obj


# ---- Stripe ---------------------------------------------------------------------------------
class StripeConn:
    def __init__(self, config: Config):
        self.config = config
        http = stripe.RequestsClient(session=_session(config), timeout=config.http_timeout)
        # The SDK's own retries sleep in real time; this integration retries on the simulated
        # clock instead, with its own idempotency keys, so SDK retries are off.
        self.client = stripe.StripeClient(config.stripe_key, base_addresses={"api": config.stripe_url},
                                          max_network_retries=0, http_client=http)

    def call(self, fn: Callable[[stripe.StripeClient], Any]) -> Any:
        try:
            return fn(self.client)
        except (stripe.RateLimitError, stripe.APIConnectionError) as exc:
            raise Retryable(f"stripe {type(exc).__name__}: {exc.user_message or exc}") from exc
        except stripe.APIError as exc:
            raise Retryable(f"stripe api_error {exc.http_status}") from exc
        except stripe.IdempotencyError as exc:
            if exc.http_status == 409:   # idempotency_key_in_use: the first request is still running
                raise Retryable(f"stripe idempotency conflict: {exc}") from exc
            raise Permanent(f"stripe idempotency key reused with other parameters: {exc}") from exc
        except stripe.StripeError as exc:
            if exc.http_status == 409 or _should_retry(exc):
                raise Retryable(f"stripe {exc.http_status} {exc.code}: {exc}") from exc
            raise Permanent(f"stripe {type(exc).__name__} {exc.http_status}: {exc.user_message or exc}") from exc


def _should_retry(exc: stripe.StripeError) -> bool:
    """Stripe's own hint (https://docs.stripe.com/error-low-level#idempotency): ``Stripe-Should-Retry``."""
    return any(k.lower() == "stripe-should-retry" and str(v).lower() == "true" for k, v in (exc.headers or {}).items())


# ---- AvaTax ---------------------------------------------------------------------------------
class AvaTaxConn:
    def __init__(self, config: Config):
        env = config.avalara_url
        self.client = AvataxClient("o2c-integration", "1.0", "integration", env, timeout_limit=config.http_timeout)
        self.client.add_credentials(config.avalara_account, config.avalara_license)
        self.company = config.company_code

    def _do(self, what: str, fn: Callable[[], requests.Response], ok_404: bool = False):
        try:
            resp = fn()
        except NETWORK_ERRORS as exc:
            raise Retryable(f"avatax network: {exc}") from exc
        if ok_404 and resp.status_code == 404:
            return None
        return check(resp, f"avatax {what}").json()

    def create(self, model: dict[str, Any]) -> dict[str, Any]:
        return self._do("create", lambda: self.client.create_transaction(wire(model)))

    def get(self, code: str, doc_type: str = "SalesInvoice") -> dict[str, Any] | None:
        return self._do("get", lambda: self.client.get_transaction_by_code(self.company, code,
                                                                            {"documentType": doc_type}),
                        ok_404=True)

    def void(self, code: str) -> dict[str, Any] | None:
        return self._do("void", lambda: self.client.void_transaction(self.company, code, {"code": "DocVoided"}),
                        ok_404=True)

    def refund(self, code: str, refund_code: str, date: str, percentage: Decimal | None = None) -> dict[str, Any]:
        model = {"refundTransactionCode": refund_code, "refundDate": date, "referenceCode": code,
                 "refundType": "Full" if percentage is None else "Percentage"}
        if percentage is not None:
            model["refundPercentage"] = float(percentage)
        return self._do("refund", lambda: self.client.refund_transaction(self.company, code, model))


# ---- ERP (NetSuite REST shape) --------------------------------------------------------------
class ErpConn:
    def __init__(self, config: Config):
        self.config = config
        self.base = f"{config.erp_url}/services/rest"
        self.http = _session(config)
        self.http.auth = OAuth1(config.erp_consumer_key, config.erp_consumer_secret, config.erp_token_id,
                                config.erp_token_secret, signature_method="HMAC-SHA256", realm=config.erp_account)

    @transient_network
    def request(self, method: str, path: str, allow: tuple[int, ...] = (), **kw) -> requests.Response:
        if "json" in kw:
            kw["json"] = wire(kw["json"])
        resp = self.http.request(method, f"{self.base}{path}", timeout=self.config.http_timeout, **kw)
        if resp.status_code in allow:
            return resp
        return check(resp, f"erp {method} {path}")

    def get(self, record: str, ref: str, allow_missing: bool = False) -> dict[str, Any] | None:
        resp = self.request("GET", f"/record/v1/{record}/{ref}", allow=(404,) if allow_missing else (),
                            params={"expandSubResources": "true"})
        return None if resp.status_code == 404 else resp.json()

    def create(self, record: str, body: dict[str, Any]) -> str:
        resp = self.request("POST", f"/record/v1/{record}", json=body)
        return resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    def upsert(self, record: str, external_id: str, body: dict[str, Any]) -> None:
        self.request("PUT", f"/record/v1/{record}/eid:{external_id}", json=body)

    def patch(self, record: str, ref: str, body: dict[str, Any]) -> None:
        self.request("PATCH", f"/record/v1/{record}/{ref}", json=body)

    def transform(self, record: str, ref: str, target: str, body: dict[str, Any] | None = None,
                  allow: tuple[int, ...] = ()) -> requests.Response:
        return self.request("POST", f"/record/v1/{record}/{ref}/!transform/{target}", json=body or {}, allow=allow)

    def suiteql(self, q: str, limit: int = 1000) -> list[dict[str, Any]]:
        items, offset = [], 0
        while True:
            resp = self.request("POST", "/query/v1/suiteql", params={"limit": limit, "offset": offset},
                                json={"q": q}, headers={"Prefer": "transient"})
            page = resp.json()
            items += page.get("items", [])
            if not page.get("hasMore"):
                return items
            offset += limit
