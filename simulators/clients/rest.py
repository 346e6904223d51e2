"""The two plain REST clients: AvaTax (REST v2) and the ERP (NetSuite REST, OAuth 1.0a). Failures
are sorted as in ``conns`` (Retryable, AlreadyExists, Permanent); each thread keeps its own
kept-alive session, and ``<system>_concurrency`` bounds the requests in flight from all threads."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import requests
from avalara import AvataxClient
from requests_oauthlib import OAuth1

from .conns import NETWORK_ERRORS, PerThread, _session, check, in_flight, transient_network, wire
from .errors import Retryable
from .settings import Connections as Config

AVATAX_API = "26.10.0"   # the REST API version the SDK names in X-Avalara-Client


# ---- AvaTax ---------------------------------------------------------------------------------
class AvaTaxConn:
    """The AvaTax REST v2 calls the integration makes. The SDK (``AvataxClient``) gives the base URL,
    the ``X-Avalara-Client`` header and the credentials; the calls themselves go through this thread's
    kept-alive session, because the SDK's own methods call ``requests.post``/``get`` at module level:
    a new session and a new connection for every call."""

    def __init__(self, config: Config):
        self.config = config
        sdk = AvataxClient("o2c-integration", "1.0", "integration", config.avalara_url,
                           timeout_limit=config.http_timeout)
        sdk.add_credentials(config.avalara_account, config.avalara_license)
        self.client = sdk   # for calls off the hot path (e.g. the reconciliation's listing)
        self.base, self.auth = sdk.base_url, sdk.auth
        self.headers = {**sdk.client_header, "X-Avalara-Client": sdk.client_id.replace("API_VERSION", AVATAX_API)}
        self.company = config.company_code
        self._http = PerThread(self._new_session)
        self.slots = in_flight(config.avalara_concurrency)

    @property
    def http(self) -> requests.Session:
        """This thread's session (kept alive), with the SDK's credentials and client headers."""
        return self._http.get()

    def _new_session(self) -> requests.Session:
        session = _session(self.config)
        session.auth = self.auth
        session.headers.update(self.headers)
        return session

    def _call(self, method: str, path: str, **kw) -> requests.Response:
        return self.http.request(method, f"{self.base}/api/v2/{path}", timeout=self.config.http_timeout, **kw)

    def _do(self, what: str, fn: Callable[[], requests.Response], ok_404: bool = False):
        try:
            with self.slots:
                resp = fn()
        except NETWORK_ERRORS as exc:
            raise Retryable(f"avatax network: {exc}") from exc
        if ok_404 and resp.status_code == 404:
            return None
        return check(resp, f"avatax {what}").json()

    def create(self, model: dict[str, Any]) -> dict[str, Any]:
        return self._do("create", lambda: self._call("POST", "transactions/create", json=wire(model)))

    def get(self, code: str, doc_type: str = "SalesInvoice") -> dict[str, Any] | None:
        return self._do("get", lambda: self._call("GET", f"companies/{self.company}/transactions/{code}",
                                                  params={"documentType": doc_type}), ok_404=True)

    def void(self, code: str) -> dict[str, Any] | None:
        return self._do("void", lambda: self._call("POST", f"companies/{self.company}/transactions/{code}/void",
                                                   json={"code": "DocVoided"}), ok_404=True)

    def refund(self, code: str, refund_code: str, date: str, percentage: Decimal | None = None) -> dict[str, Any]:
        model = {"refundTransactionCode": refund_code, "refundDate": date, "referenceCode": code,
                 "refundType": "Full" if percentage is None else "Percentage"}
        if percentage is not None:
            model["refundPercentage"] = float(percentage)
        return self._do("refund", lambda: self._call("POST", f"companies/{self.company}/transactions/{code}/refund",
                                                     json=model))


# ---- ERP (NetSuite REST shape) --------------------------------------------------------------
class ErpConn:
    def __init__(self, config: Config):
        self.config = config
        self.base = f"{config.erp_url}/services/rest"
        self._http = PerThread(self._new_session)
        self.slots = in_flight(config.erp_concurrency)

    @property
    def http(self) -> requests.Session:
        """This thread's session (kept alive), signing every request with OAuth 1.0a."""
        return self._http.get()

    def _new_session(self) -> requests.Session:
        c = self.config
        session = _session(c)
        session.auth = OAuth1(c.erp_consumer_key, c.erp_consumer_secret, c.erp_token_id, c.erp_token_secret,
                              signature_method="HMAC-SHA256", realm=c.erp_account)
        return session

    @transient_network
    def request(self, method: str, path: str, allow: tuple[int, ...] = (), **kw) -> requests.Response:
        if "json" in kw:
            kw["json"] = wire(kw["json"])
        with self.slots:
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
