"""ERP test helpers: an OAuth 1.0a (requests_oauthlib, HMAC-SHA256) session against the fake."""
from __future__ import annotations

import pytest
import requests
from requests_oauthlib import OAuth1

from tests.conftest import shared_harness

REST = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"


def tba() -> OAuth1:
    return OAuth1("o2c-consumer-key", "o2c-consumer-secret", "o2c-token-id", "o2c-token-secret",
                  signature_method="HMAC-SHA256", realm="O2C_SB1")


class Erp:
    def __init__(self, base: str, control):
        self.base = base
        self.control = control
        self.http = requests.Session()
        self.http.auth = tba()

    def url(self, path: str) -> str:
        return self.base + REST + path

    def post(self, path: str, body: dict | None = None, **kw):
        return self.http.post(self.url(path), json=body if body is not None else {}, timeout=30, **kw)

    def get(self, path: str, **kw):
        return self.http.get(self.url(path), timeout=30, **kw)

    def patch(self, path: str, body: dict, **kw):
        return self.http.patch(self.url(path), json=body, timeout=30, **kw)

    def put(self, path: str, body: dict):
        return self.http.put(self.url(path), json=body, timeout=30)

    def create(self, path: str, body: dict) -> str:
        r = self.post(path, body)
        assert r.status_code == 204, r.text
        assert r.content == b""
        return r.headers["Location"].rsplit("/", 1)[1]

    def sql(self, q: str, **params):
        return self.http.post(self.base + SUITEQL, json={"q": q}, headers={"Prefer": "transient"},
                              params=params, timeout=30)

    # business helpers
    def customer(self, ext: str = "ACC-1", name: str = "Acme Corp") -> str:
        return self.create("/customer", {"companyName": name, "externalId": ext})

    def order(self, ext: str = "801-ORDER-1", cust: str = "ACC-1", lines=None, **extra) -> str:
        lines = lines or [{"item": {"externalId": "HW-ROUTER"}, "quantity": 2, "rate": 100,
                           "custcol_ava_taxamount": 15.50}]
        return self.create("/salesOrder", {"entity": {"externalId": cust}, "externalId": ext,
                                           "orderStatus": {"id": "B"}, "item": {"items": lines}, **extra})

    def invoice(self, so: str, body: dict | None = None) -> str:
        r = self.post(f"/salesOrder/{so}/!transform/invoice", body or {})
        assert r.status_code == 204, r.text
        return r.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def erp_harness(_harness_pool):
    """Only the ERP fake, shared by the session and reset before each test (tests/conftest.py)."""
    yield from shared_harness(_harness_pool, ("erp",))


@pytest.fixture
def erp(erp_harness):
    return Erp(erp_harness.url("erp"), erp_harness.control("erp"))


def error_code(resp) -> str:
    body = resp.json()
    assert set(body) >= {"type", "title", "status", "o:errorDetails"}, body
    assert body["status"] == resp.status_code
    return body["o:errorDetails"][0]["o:errorCode"]
