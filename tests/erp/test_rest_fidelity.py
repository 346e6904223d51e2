"""NetSuite REST record fidelity through HTTP: DELETE and its dependency error, sublists, ``fields``,
``expandSubResources``, asynchronous requests, the ``q`` operators, paging rules, property validation,
OneWorld subsidiaries, the metadata catalog, 404/405 in NetSuite's shape, and a live smoke run."""
from __future__ import annotations

import requests

from simulators.harness import InProcessHarness

from .conftest import REST, Erp, error_code


def test_delete_customer_and_its_dependency_error(erp):
    lone = erp.customer(ext="LONE", name="Lone Co")
    r = erp.http.delete(erp.url(f"/customer/{lone}"))
    assert r.status_code == 204 and r.content == b""
    assert error_code(erp.get(f"/customer/{lone}")) == "NONEXISTENT_ID"
    assert erp.get("/customer/eid:LONE").status_code == 404        # the external id is released too
    erp.customer(ext="LONE", name="Lone Again")                     # and can be used again
    busy = erp.customer()
    so = erp.order()
    r = erp.http.delete(erp.url(f"/customer/{busy}"))
    assert r.status_code == 400 and error_code(r) == "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS"
    erp.invoice(so)
    assert error_code(erp.http.delete(erp.url(f"/salesOrder/{so}"))) == \
        "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS"
    other = erp.order(ext="801-OTHER")
    assert erp.http.delete(erp.url(f"/salesOrder/{other}")).status_code == 204
    assert erp.get(f"/customer/{busy}").status_code == 200


def test_sublists_links_resolve(erp):
    erp.customer()
    so = erp.order(lines=[{"item": {"externalId": "HW-ROUTER"}, "quantity": 2, "rate": 100},
                          {"item": {"externalId": "HW-ROUTER"}, "quantity": 1, "rate": 50}])
    rec = erp.get(f"/salesOrder/{so}").json()
    assert "items" not in rec["item"]
    link = rec["item"]["links"][0]["href"]
    sub = erp.http.get(link)
    assert sub.status_code == 200, sub.text
    body = sub.json()
    assert body["totalResults"] == 2 and [i["quantity"] for i in body["items"]] == [2, 1]
    line = erp.http.get(body["items"][1]["links"][0]["href"])
    assert line.status_code == 200 and line.json()["amount"] == 50
    assert error_code(erp.get(f"/salesOrder/{so}/item/9")) == "NONEXISTENT_ID"
    expanded = erp.get(f"/salesOrder/{so}", params={"expandSubResources": "true"}).json()
    assert [i["rate"] for i in expanded["item"]["items"]] == [100, 50]


def test_fields_selects_fields(erp):
    cid = erp.customer()
    body = erp.get(f"/customer/{cid}", params={"fields": "companyName,email"}).json()
    assert set(body) == {"links", "companyName"} and body["companyName"] == "Acme Corp"


def test_respond_async_job_task_and_result(erp):
    r = erp.post("/customer", {"companyName": "Async Co", "externalId": "ASYNC-1"},
                 headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": "k-1"})
    assert r.status_code == 202 and r.headers["Preference-Applied"] == "respond-async"
    job = erp.http.get(r.headers["Location"]).json()
    assert job["completed"] is True and job["progress"] == "succeeded"
    tasks = erp.http.get(job["task"]["links"][0]["href"]).json()
    assert tasks["count"] == 1
    task = erp.http.get(tasks["items"][0]["links"][0]["href"]).json()
    result = erp.http.get(task["result"]["links"][0]["href"])
    assert result.status_code == 204
    cid = result.headers["Location"].rsplit("/", 1)[1]
    assert erp.get(f"/customer/{cid}").json()["externalId"] == "ASYNC-1"
    again = erp.post("/customer", {"companyName": "Async Co"},
                     headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": "k-1"})
    assert error_code(again) == "IDEMPOTENCY_ERROR" and again.headers["Location"] == r.headers["Location"]
    failed = erp.post("/customer", {"companyName": "Dup", "externalId": "ASYNC-1"}, headers={"Prefer": "respond-async"})
    assert failed.status_code == 202
    assert erp.http.get(failed.headers["Location"]).json()["progress"] == "failed"
    assert error_code(erp.http.get(failed.headers["Location"].replace("/job/", "/job/9"))) == "NONEXISTENT_ID"


def test_list_q_operators(erp):
    for ext, name in (("A-1", "Alpha Corp"), ("A-2", "Alphabet Inc"), ("B-1", "Beta Corp")):
        erp.customer(ext=ext, name=name)

    def names(q: str) -> list[str]:
        r = erp.get("/customer", params={"q": q})
        assert r.status_code == 200, r.text
        return sorted(erp.get(f"/customer/{i['id']}").json()["companyName"] for i in r.json()["items"])

    assert names('companyName START_WITH "alpha"') == ["Alpha Corp", "Alphabet Inc"]
    assert names("companyName CONTAIN corp") == ["Alpha Corp", "Beta Corp"]
    assert names("companyName CONTAIN_NOT corp") == ["Alphabet Inc"]
    assert names('companyName END_WITH "Inc" OR externalId IS "B-1"') == ["Alphabet Inc", "Beta Corp"]
    assert names('(companyName START_WITH A OR companyName START_WITH B) AND companyName CONTAIN corp') == \
        ["Alpha Corp", "Beta Corp"]
    ids = sorted(int(i["id"]) for i in erp.get("/customer").json()["items"])
    assert names(f"id BETWEEN [{ids[0]}, {ids[1]}]") == ["Alpha Corp", "Alphabet Inc"]
    assert names(f"id GREATER {ids[1]}") == ["Beta Corp"] and names(f"id LESS {ids[1]}") == ["Alpha Corp"]
    assert names("email EMPTY") == ["Alpha Corp", "Alphabet Inc", "Beta Corp"] and names("email EMPTY_NOT") == []
    assert names('dateCreated ON "2026-01-05"') == names("dateCreated AFTER 1/1/2020")
    assert names("dateCreated BEFORE 2020-01-01") == []
    assert error_code(erp.get("/customer", params={"q": "companyName FROBNICATE x"})) == "INVALID_PARAMETER"
    assert error_code(erp.get("/customer", params={"q": "id BETWEEN [1]"})) == "INVALID_PARAMETER"


def test_offset_must_be_a_multiple_of_limit(erp):
    for i in range(3):
        erp.customer(ext=f"P-{i}", name=f"Page {i}")
    r = erp.get("/customer", params={"limit": 2, "offset": 1})
    assert r.status_code == 400 and error_code(r) == "INVALID_PARAMETER"
    assert r.json()["o:errorDetails"][0]["o:errorPath"] == "offset"
    second = erp.get("/customer", params={"limit": 2, "offset": 2}).json()
    assert second["count"] == 1 and second["hasMore"] is False


def test_property_name_and_value_validation(erp):
    body = {"companyName": "Strict Co", "notAField": 1}
    assert erp.post("/customer", body).status_code == 204                    # Warning (the default) accepts
    r = erp.post("/customer", {**body, "externalId": "S-2"},
                 headers={"X-NetSuite-PropertyNameValidation": "Error"})
    assert r.status_code == 400 and error_code(r) == "INVALID_CONTENT"
    assert r.json()["o:errorDetails"][0]["o:errorPath"] == "notAField"
    ok = erp.post("/customer", {"companyName": "Custom Co", "custentity_tier": "gold"},
                  headers={"X-NetSuite-PropertyNameValidation": "Error"})
    assert ok.status_code == 204
    bad = erp.post("/customer", {"companyName": "Typed Co", "email": 42},
                   headers={"X-NetSuite-PropertyValueValidation": "Error"})
    assert bad.status_code == 400 and error_code(bad) == "INVALID_CONTENT"


def test_one_world_requires_a_subsidiary():
    with InProcessHarness(["erp"], erp={"one_world": True}) as h:
        erp = Erp(h.url("erp"), h.control("erp"))
        r = erp.post("/customer", {"companyName": "No Sub"})
        assert r.status_code == 400 and r.json()["o:errorDetails"][0]["o:errorPath"] == "subsidiary"
        cid = erp.create("/customer", {"companyName": "Sub Co", "subsidiary": {"id": "2"}})
        assert erp.get(f"/customer/{cid}").json()["subsidiary"]["id"] == "2"


def test_metadata_catalog_json_schema_and_openapi(erp):
    listing = erp.get("/metadata-catalog").json()
    assert {"customer", "salesOrder", "invoice"} <= {i["name"] for i in listing["items"]}
    schema = erp.get("/metadata-catalog/customer", headers={"Accept": "application/schema+json"})
    assert schema.headers["Content-Type"].startswith("application/schema+json")
    assert schema.json()["properties"]["companyName"]["type"] == "string"
    api = erp.get("/metadata-catalog", params={"select": "customer,salesOrder"},
                  headers={"Accept": "application/swagger+json"}).json()
    assert api["openapi"].startswith("3.") and set(api["components"]["schemas"]) == {"customer", "salesOrder"}
    assert "/customer/{id}" in api["paths"]
    assert error_code(erp.get("/metadata-catalog/nope")) == "NONEXISTENT_ID"


def test_unknown_routes_and_wrong_methods_are_netsuite_errors(erp):
    r = erp.get("/noSuchRecord/1")
    assert r.status_code == 404 and error_code(r) == "NONEXISTENT_ID"
    r = erp.http.delete(erp.url("/customerPayment/1"))     # payments are created and read, not deleted, here
    assert r.status_code == 405 and error_code(r) == "INVALID_REQUEST" and "GET" in r.headers["Allow"]
    r = erp.http.get(erp.base + "/services/rest/nothing")
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/vnd.oracle.resource+json")


def test_live_sublist_delete_and_async(live):
    erp = Erp(live.url("erp"), live.control("erp"))
    bearer = requests.Session()
    bearer.headers["Authorization"] = "Bearer o2c-erp-token"
    cid = erp.customer(ext="LIVE-FID")
    so = erp.order(cust="LIVE-FID")
    link = bearer.get(erp.url(f"/salesOrder/{so}")).json()["item"]["links"][0]["href"]
    assert link.startswith(live.url("erp") + REST) and bearer.get(link).json()["totalResults"] == 1
    assert error_code(bearer.delete(erp.url(f"/customer/{cid}"))) == \
        "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS"
    r = erp.http.delete(erp.url(f"/salesOrder/{so}"), headers={"Prefer": "respond-async"})
    assert r.status_code == 202
    assert bearer.get(r.headers["Location"]).json()["progress"] == "succeeded"
    assert bearer.delete(erp.url(f"/customer/{cid}")).status_code == 204


def test_delete_an_unpaid_invoice_unbills_the_order_and_a_paid_one_is_refused(erp):
    cid = erp.customer()
    so = erp.order()
    inv = erp.invoice(so)
    assert erp.get(f"/salesOrder/{so}").json()["status"]["refName"] == "Billed"
    r = erp.http.delete(erp.url(f"/invoice/{inv}"))
    assert r.status_code == 204
    assert error_code(erp.get(f"/invoice/{inv}")) == "NONEXISTENT_ID"
    assert erp.get(f"/salesOrder/{so}").json()["status"]["refName"] == "Pending Fulfillment"
    assert erp.sql(f"SELECT id FROM transaction WHERE id = {inv}").json()["count"] == 0
    again = erp.invoice(so)                                   # the order can be billed again
    erp.create("/customerPayment", {"customer": {"id": cid}, "externalId": "ch_del", "payment": 50,
                                    "apply": {"items": [{"doc": {"id": again}, "apply": True, "amount": 50}]}})
    refused = erp.http.delete(erp.url(f"/invoice/{again}"))
    assert refused.status_code == 400
    assert error_code(refused) == "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS"
    assert erp.get(f"/invoice/{again}").status_code == 200
