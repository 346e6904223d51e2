"""Auth, errors, params, customers, lists, idempotency, faults — through stripe-python 16."""
from __future__ import annotations

import pytest
import requests
import stripe

from .conftest import KEY, client_for


def test_bad_key_is_401_invalid_api_key(harness):
    bad = stripe.StripeClient("sk_live_nope1234", base_addresses={"api": harness.url("stripe")})
    with pytest.raises(stripe.AuthenticationError) as exc:
        bad.v1.customers.list()
    assert "Invalid API Key provided: sk_live_" in exc.value.user_message
    r = requests.get(harness.url("stripe") + "/v1/customers")
    assert r.status_code == 401 and "You did not provide an API key" in r.json()["error"]["message"]


def test_basic_auth_and_request_id_and_any_version(harness):
    r = requests.get(harness.url("stripe") + "/v1/customers", auth=(KEY, ""),
                     headers={"Stripe-Version": "2020-08-27"})
    assert r.status_code == 200
    assert r.headers["Request-Id"].startswith("req_")
    assert r.headers["Stripe-Version"] == "2020-08-27"
    assert r.json() == {"object": "list", "data": [], "has_more": False, "url": "/v1/customers"}


def test_customer_crud_metadata_and_default_payment_method(sc):
    cus = sc.v1.customers.create({"name": "Acme Irvine Inc.", "email": "ap@acme-irvine.test",
                                  "metadata": {"key": "ACME-IRVINE"}})
    assert cus.id.startswith("cus_") and cus.metadata["key"] == "ACME-IRVINE"
    pm = sc.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id})
    assert pm.id.startswith("pm_") and pm.id != "pm_card_visa" and pm.customer == cus.id
    cus = sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id},
                                          "metadata": {"erp_id": "C-1", "key": ""}})
    assert cus.invoice_settings.default_payment_method == pm.id
    assert cus.metadata.to_dict() == {"erp_id": "C-1"}
    got = sc.v1.customers.retrieve(cus.id, {"expand": ["invoice_settings.default_payment_method"]})
    assert got.invoice_settings.default_payment_method.card.last4 == "4242"
    assert [c.id for c in sc.v1.customers.list({"email": "ap@acme-irvine.test"}).data] == [cus.id]


def test_missing_resource_is_404_resource_missing(sc):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.retrieve("in_missing")
    assert exc.value.http_status == 404 and exc.value.code == "resource_missing" and exc.value.param == "id"


def test_unknown_parameter_is_rejected_with_param(sc):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.create({"nickname": "x"})
    assert exc.value.code == "parameter_unknown" and exc.value.param == "nickname"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoice_items.create({"customer": sc.v1.customers.create().id, "amount": "ten", "currency": "usd"})
    assert exc.value.param == "amount"


def test_lists_newest_first_with_paging_and_auto_paging_iter(sc):
    ids = [sc.v1.customers.create({"name": f"c{i}"}).id for i in range(25)]
    page = sc.v1.customers.list({"limit": 10})
    assert [c.id for c in page.data] == ids[::-1][:10] and page.has_more
    page2 = sc.v1.customers.list({"limit": 10, "starting_after": page.data[-1].id})
    assert [c.id for c in page2.data] == ids[::-1][10:20]
    back = sc.v1.customers.list({"limit": 5, "ending_before": page2.data[0].id})
    assert [c.id for c in back.data] == ids[::-1][5:10] and back.has_more
    assert [c.id for c in page.auto_paging_iter()] == ids[::-1]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.list({"limit": 101})
    assert exc.value.param == "limit"


def test_idempotent_replay_is_byte_identical_and_mismatch_is_idempotency_error(harness, sc):
    url = harness.url("stripe") + "/v1/customers"
    h = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "k-1"}
    first = requests.post(url, data={"email": "a@x.test"}, headers=h)
    second = requests.post(url, data={"email": "a@x.test"}, headers=h)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(sc.v1.customers.list().data) == 1
    with pytest.raises(stripe.IdempotencyError) as exc:
        sc.v1.customers.create({"email": "b@x.test"}, {"idempotency_key": "k-1"})
    assert exc.value.http_status == 400
    # the SDK's own key: two SDK calls with one key give one customer
    a = sc.v1.customers.create({"name": "n"}, {"idempotency_key": "k-2"})
    b = sc.v1.customers.create({"name": "n"}, {"idempotency_key": "k-2"})
    assert a.id == b.id


def test_idempotency_errors_are_replayed_and_keys_expire_after_24h(harness, sc):
    url = harness.url("stripe") + "/v1/invoices/in_nope/finalize"
    h = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "k-err"}
    first = requests.post(url, headers=h)
    assert first.status_code == 404
    assert requests.post(url, headers=h).content == first.content
    c1 = sc.v1.customers.create({"name": "x"}, {"idempotency_key": "k-3"})
    harness.advance("24h")
    c2 = sc.v1.customers.create({"name": "x"}, {"idempotency_key": "k-3"})
    assert c1.id != c2.id


def test_concurrent_use_of_a_key_is_409(harness):
    st = harness.apps["stripe"].extensions["stripe_state"]
    assert st.idempotency.begin("sk", "k", "fp") is None
    from simulators.stripe.errors import IdempotencyInProgress
    with pytest.raises(IdempotencyInProgress) as exc:
        st.idempotency.begin("sk", "k", "fp")
    assert exc.value.status == 409


def test_rate_limit_fault_gives_429_with_should_retry(harness, sc):
    harness.control("stripe").add_fault(operation="customers.create", error={"code": "rate_limit"}, times=1)
    with pytest.raises(stripe.RateLimitError) as exc:
        sc.v1.customers.create()
    assert exc.value.http_status == 429 and exc.value.headers["Stripe-Should-Retry"] == "true"
    assert exc.value.json_body["error"]["code"] == "rate_limit"  # the SDK does not copy code for 429s
    assert sc.v1.customers.create().id.startswith("cus_")


def test_form_encoding_nested_params():
    from simulators.stripe.params import parse
    got = parse(b"metadata[a]=1&expand[]=x&expand[]=y&lines[1][id]=b&lines[0][tax_amounts][0][amount]=5"
                b"&lines[0][id]=a&created[gte]=3")
    assert got == {"metadata": {"a": "1"}, "expand": ["x", "y"],
                   "lines": [{"tax_amounts": [{"amount": "5"}], "id": "a"}, {"id": "b"}], "created": {"gte": "3"}}
