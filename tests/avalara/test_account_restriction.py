"""AvaTax account restriction (``/_sim/avalara/accounts``) holds for every credential form: Basic
account id + license key, Basic username + password, and Bearer tokens; spaces, signs, other
numerals and non-numeric "account ids" do not get around it."""
from __future__ import annotations

import base64

import pytest
import requests

from .conftest import client_for, irvine


def basic(user: str, secret: str = "key") -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def status(harness, authorization: str) -> int:
    return requests.get(harness.url("avalara") + "/api/v2/companies/DEFAULT/transactions",
                        headers={"Authorization": authorization}).status_code


def restrict(harness, **body):
    return harness.control("avalara").post("/avalara/accounts", body)


UNRESTRICTED_OK = [basic("123456"), basic("999999"), basic("someone@example.test", "pw"),
                   basic(" 123456")]


@pytest.mark.parametrize("auth", UNRESTRICTED_OK)
def test_unrestricted_every_documented_form_is_accepted(harness, auth):
    assert status(harness, auth) == 200


REFUSED = {
    "another account": basic("123456"),
    "Bearer anything": "Bearer anything",
    "username/password": basic("someone@example.test", "pw"),
    "leading space": basic(" 999999"),
    "trailing space": basic("999999 "),
    "plus sign": basic("+999999"),
    "fullwidth digits": basic("９９９９９９"),
    "superscript digit": basic("999999²"),
    "non-numeric id": basic("999999a"),
    "account as bearer": "Bearer 999999",
}


@pytest.mark.parametrize("auth", list(REFUSED.values()), ids=list(REFUSED))
def test_restricted_no_credential_form_gets_around_it(harness, auth):
    restrict(harness, allowed=["999999"])
    r = requests.get(harness.url("avalara") + "/api/v2/companies/DEFAULT/transactions", headers={"Authorization": auth})
    assert r.status_code == 401 and r.json()["error"]["code"] == "AuthenticationException"


def test_restricted_the_allowed_account_and_mapped_identities_pass(harness):
    restrict(harness, allowed=["999999", 42], users={"tax@acme.test": "999999", "old@acme.test": "123456"},
             tokens={"tok-ok": "42", "tok-other": "123456"})
    assert status(harness, basic("999999")) == 200
    assert status(harness, basic("0999999")) == 200          # the same account, as AvaTax reads ids as numbers
    assert status(harness, basic("42")) == 200
    assert status(harness, basic("tax@acme.test", "pw")) == 200
    assert status(harness, "Bearer tok-ok") == 200
    assert status(harness, basic("old@acme.test", "pw")) == 401   # mapped, but to an account not allowed
    assert status(harness, "Bearer tok-other") == 401
    assert status(harness, basic(" tax@acme.test", "pw")) == 401  # usernames match exactly
    view = harness.control("avalara").get("/avalara/accounts")
    assert view["allowed"] == ["42", "999999"] and view["tokens"] == 2 and "tok-ok" not in str(view)


def test_lifting_the_restriction_restores_every_form(harness):
    restrict(harness, allowed=["999999"])
    assert status(harness, "Bearer anything") == 401
    restrict(harness, allowed=None)
    assert all(status(harness, auth) == 200 for auth in UNRESTRICTED_OK)


def test_ping_reports_the_restricted_caller_as_unauthenticated(harness):
    restrict(harness, allowed=["999999"])
    assert client_for(harness.url("avalara")).ping().json()["authenticated"] is False
    assert client_for(harness.url("avalara"), account="999999").ping().json()["authenticatedAccountId"] == 999999


def test_the_sdk_sees_the_restriction(harness):
    restrict(harness, allowed=["999999"])
    assert client_for(harness.url("avalara")).create_transaction(irvine(100)).status_code == 401
    assert client_for(harness.url("avalara"), account="999999").create_transaction(irvine(100)).status_code == 201
