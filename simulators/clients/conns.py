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

Connections are per thread (the integration's workers run jobs at once): each worker keeps its own
``requests.Session`` per system, so every call reuses a kept-alive connection and no session is
shared between threads. A ``Retry-After`` on a refusal rides on the Retryable as the least wait.
"""
from __future__ import annotations

import contextlib
import functools
import os
import ssl
import threading
from decimal import Decimal
from typing import Any, Callable

import requests
from requests.adapters import HTTPAdapter
import stripe
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (SalesforceError, SalesforceExpiredSession, SalesforceGeneralError,
                                          SalesforceMalformedRequest, SalesforceRefusedRequest,
                                          SalesforceResourceNotFound)

from .errors import AlreadyExists, Permanent, Retryable
from .settings import Connections as Config

TRANSIENT_SF = {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "INVALID_SESSION_ID",
                "UNKNOWN_EXCEPTION"}
# NetSuite REST: "o:errorCode" values that clear by themselves (concurrency governance, a record
# changed under us, an expired session, an unexpected server error).
TRANSIENT_ERP = {"CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED", "RCRD_HAS_BEEN_CHANGED",
                 "SESSION_TIMED_OUT", "UNEXPECTED_ERROR", "SERVICE_UNAVAILABLE"}
DUPLICATE = {"DUP_RCRD", "DUPLICATE_VALUE"}
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class TrustedCA(HTTPAdapter):
    """HTTPS that trusts one CA bundle (the harness CA), loaded once into an SSL context. Given the
    bundle's path as ``verify``, requests would stat the file twice on every request."""

    def __init__(self, ca_bundle: str):
        self.context = ssl.create_default_context(cafile=ca_bundle)
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self.context
        return super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn, url, verify, cert):
        conn.cert_reqs = "CERT_REQUIRED"   # against self.context's CA only


def _session(config: Config) -> requests.Session:
    s = requests.Session()
    # The systems are on loopback (or in process): no proxy or .netrc from the environment applies, and
    # reading them costs about half of requests' own time per call. A CA bundle named in the environment
    # (REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE) is still trusted when the settings name none.
    s.trust_env = False
    if config.ca_bundle:
        s.mount("https://", TrustedCA(config.ca_bundle))
    else:
        s.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return s


class PerThread:
    """One value per thread, made on first use (a worker's own kept-alive session or client)."""

    def __init__(self, make: Callable[[], Any]):
        self._local = threading.local()
        self._make = make

    def get(self) -> Any:
        value = getattr(self._local, "value", None)
        if value is None:
            value = self._local.value = self._make()
        return value


def in_flight(limit: int) -> threading.BoundedSemaphore | contextlib.nullcontext:
    """A bound on the requests in flight to one system from all threads (``<system>_concurrency``)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError("a concurrency setting must be a whole number, 0 for no bound")
    return threading.BoundedSemaphore(limit) if limit else contextlib.nullcontext()


def retry_after(headers: Any) -> float | None:
    """``Retry-After`` in seconds (RFC 9110; the HTTP-date form is not used by these vendors)."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def check(resp: requests.Response, what: str) -> requests.Response:
    """Raise Retryable for 429/5xx and transient error codes, AlreadyExists for a duplicate,
    Permanent for other 4xx."""
    if resp.status_code == 429 or resp.status_code >= 500:
        raise Retryable(f"{what}: HTTP {resp.status_code} {resp.text[:200]}", retry_after(resp.headers))
    if resp.status_code >= 400:
        code = error_code(resp)
        if code in TRANSIENT_SF or code in TRANSIENT_ERP:
            raise Retryable(f"{what}: HTTP {resp.status_code} {code}", retry_after(resp.headers))
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
        self._local = threading.local()   # each thread its own session (and login)
        self.org_id: str | None = None   # the connected org (from the OAuth identity URL)
        self.slots = in_flight(config.salesforce_concurrency)

    @property
    def _sf(self) -> Salesforce | None:
        return getattr(self._local, "sf", None)

    @_sf.setter
    def _sf(self, value: Salesforce | None) -> None:
        self._local.sf = value

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
                with self.slots:
                    return fn(self.sf)
            except SalesforceExpiredSession:
                # An expired or revoked session (timeout, org reset, password change): log in again
                # and retry once at once, as simple-salesforce does when it holds credentials.
                self._sf = None
                with self.slots:
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

    def upsert_id(self, sobject: str, ext_field: str, value: str, fields: dict[str, Any]) -> str | None:
        """Upsert and return the record's id from the answer (API 46.0+ answers an update with 200 and
        the id, a create with 201), or None when the answer carries none (older versions: 204)."""
        resp = self.call(lambda sf: getattr(sf, sobject).upsert(f"{ext_field}/{value}", wire(fields),
                                                                 raw_response=True))
        return (resp.json() or {}).get("id") if resp.status_code in (200, 201) and resp.content else None

    def upsert_many(self, sobject: str, ext_field: str, records: list[dict[str, Any]]) -> list[str]:
        """sObject Collections upsert (``PATCH composite/sobjects/<sobject>/<field>``, up to 200 records,
        all or none): one request for many records. A record's error is sorted like a call's."""
        ids: list[str] = []
        for i in range(0, len(records), 200):
            chunk = [{"attributes": {"type": sobject}, **wire(r)} for r in records[i:i + 200]]
            ids += _saved(sobject, self.call(lambda sf: sf.restful(
                f"composite/sobjects/{sobject}/{ext_field}", method="PATCH", json={"allOrNone": True, "records": chunk})))
        return ids

    def update_many(self, records: list[tuple[str, str, dict[str, Any]]]) -> None:
        """sObject Collections update (``PATCH composite/sobjects``, records of any types, up to 200, all
        or none): ``(sobject, id, fields)`` each, in one request."""
        chunk = [{"attributes": {"type": sobject}, "id": rid, **wire(fields)} for sobject, rid, fields in records]
        _saved("records", self.call(lambda sf: sf.restful("composite/sobjects", method="PATCH",
                                                          json={"allOrNone": True, "records": chunk})))

    def create(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        return self.call(lambda sf: getattr(sf, sobject).create(wire(fields)))

    def update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        self.call(lambda sf: getattr(sf, sobject).update(record_id, wire(fields)))

    def get_by(self, sobject: str, ext_field: str, value: str) -> dict[str, Any]:
        return self.call(lambda sf: getattr(sf, sobject).get_by_custom_id(ext_field, value))


def _saved(what: str, results: list[dict[str, Any]] | None) -> list[str]:
    """The ids of a collection's SaveResults; the first failure raised, sorted like a call's error."""
    ids = []
    for res in results or []:
        if not res.get("success"):
            errors = res.get("errors") or [{}]
            code = errors[0].get("statusCode")
            text = f"salesforce {what} {code}: {errors[0].get('message')}"
            if code in TRANSIENT_SF or code == "ALL_OR_NONE_OPERATION_ROLLED_BACK":
                raise Retryable(text)
            raise (AlreadyExists if code in DUPLICATE else Permanent)(text)
        ids.append(res["id"])
    return ids


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
        self._client = PerThread(self._new_client)
        self.slots = in_flight(config.stripe_concurrency)

    @property
    def client(self) -> stripe.StripeClient:
        """This thread's client (its own kept-alive session)."""
        return self._client.get()

    def _new_client(self) -> stripe.StripeClient:
        c = self.config
        http = stripe.RequestsClient(session=_session(c), timeout=c.http_timeout)
        # The SDK's own retries sleep in real time; this integration retries on the simulated
        # clock instead, with its own idempotency keys, so SDK retries are off.
        return stripe.StripeClient(c.stripe_key, base_addresses={"api": c.stripe_url}, max_network_retries=0,
                                   http_client=http)

    def read(self, path: str) -> dict[str, Any]:
        """GET a Stripe object as plain JSON (the SDK's ``raw_request``: same auth, errors and
        headers, without building typed objects the integration reads as dicts anyway)."""
        return self.call(lambda c: c.raw_request("get", path).data)

    def post(self, path: str, **params: Any) -> dict[str, Any]:
        """POST as plain JSON; ``idempotency_key=`` is sent as the ``Idempotency-Key`` header."""
        return self.call(lambda c: c.raw_request("post", path, **params).data)

    def walk(self, path: str, params: dict[str, Any], towards_newest: bool = False) -> list[dict[str, Any]]:
        """Every page of a list as plain JSON, in one ``call``. Stripe lists newest first; with
        ``towards_newest`` (after an ``ending_before`` cursor) each next page is the one before the
        page's newest object and comes oldest first, as the SDK's auto-paging walks it; otherwise
        pages follow ``starting_after`` the page's last object. ``has_more`` says when to stop."""
        def pages(client: stripe.StripeClient) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            page_params = dict(params)
            while True:
                page = client.raw_request("get", path, **page_params).data
                data = page.get("data") or []
                out.extend(reversed(data) if towards_newest else data)
                if not page.get("has_more") or not data:
                    return out
                if towards_newest:
                    page_params["ending_before"] = data[0]["id"]
                else:
                    page_params["starting_after"] = data[-1]["id"]
        return self.call(pages)

    def post_response(self, path: str, **params: Any) -> Any:
        """POST; the answer with its headers (``.data``, ``.headers``: e.g. ``Idempotent-Replayed``)."""
        return self.call(lambda c: c.raw_request("post", path, **params))

    def call(self, fn: Callable[[stripe.StripeClient], Any]) -> Any:
        try:
            with self.slots:
                return fn(self.client)
        except stripe.RateLimitError as exc:
            raise Retryable(f"stripe RateLimitError: {exc.user_message or exc}", retry_after(exc.headers)) from exc
        except stripe.APIConnectionError as exc:
            raise Retryable(f"stripe APIConnectionError: {exc.user_message or exc}") from exc
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
