"""Bulk API 2.0 through simple-salesforce's ``sf.bulk2`` (unchanged) and over raw HTTP: ingest jobs
(insert, upsert, update, delete; per-row failures; lookups by a parent's external id), query jobs
with locator paging, job states on the simulated clock, and the errors of misuse."""
from __future__ import annotations

import csv
import io

import requests


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def raw(sf, method: str, path: str, **kw):
    headers = {"Authorization": f"Bearer {sf.session_id}", **kw.pop("headers", {})}
    return requests.request(method, f"{sf.bulk2_url}{path}", headers=headers, **kw)


def test_insert_reports_each_row_and_keeps_the_good_ones(sf):
    result = sf.bulk2.Account.insert(records=[
        {"Name": "Bulk One", "Customer_Key__c": "BULK-1"},
        {"Name": "", "Customer_Key__c": "BULK-2"},          # Name is required: this row fails alone
        {"Name": "Bulk Three", "Customer_Key__c": "BULK-3"},
    ], wait=0)
    assert result[0]["numberRecordsProcessed"] == 3 and result[0]["numberRecordsFailed"] == 1
    job = result[0]["job_id"]
    ok = rows(sf.bulk2.Account.get_successful_records(job))
    assert [r["Customer_Key__c"] for r in ok] == ["BULK-1", "BULK-3"]
    assert all(r["sf__Created"] == "true" and r["sf__Id"].startswith("001") for r in ok)
    failed = rows(sf.bulk2.Account.get_failed_records(job))
    assert len(failed) == 1 and failed[0]["Customer_Key__c"] == "BULK-2"
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    found = sf.query("SELECT Customer_Key__c FROM Account WHERE Customer_Key__c LIKE 'BULK-%' "
                     "ORDER BY Customer_Key__c")
    assert [r["Customer_Key__c"] for r in found["records"]] == ["BULK-1", "BULK-3"]


def test_upsert_by_external_id_creates_then_updates(sf):
    sf.bulk2.Account.upsert(records=[{"Customer_Key__c": "UPS-1", "Name": "First"}],
                            external_id_field="Customer_Key__c", wait=0)
    result = sf.bulk2.Account.upsert(records=[{"Customer_Key__c": "UPS-1", "Name": "Renamed"},
                                              {"Customer_Key__c": "UPS-2", "Name": "New"}],
                                     external_id_field="Customer_Key__c", wait=0)
    ok = {r["Customer_Key__c"]: r for r in rows(sf.bulk2.Account.get_successful_records(result[0]["job_id"]))}
    assert ok["UPS-1"]["sf__Created"] == "false" and ok["UPS-2"]["sf__Created"] == "true"
    assert sf.Account.get_by_custom_id("Customer_Key__c", "UPS-1")["Name"] == "Renamed"


def test_lookup_by_the_parents_external_id_then_update_and_delete(sf):
    sf.Account.create({"Name": "Parent Co", "Customer_Key__c": "PARENT-1"})
    result = sf.bulk2.Contact.insert(records=[{"LastName": "Child", "Account.Customer_Key__c": "PARENT-1"},
                                              {"LastName": "Orphan", "Account.Customer_Key__c": "NO-SUCH"}], wait=0)
    assert result[0]["numberRecordsFailed"] == 1
    ok = rows(sf.bulk2.Contact.get_successful_records(result[0]["job_id"]))
    contact = sf.Contact.get(ok[0]["sf__Id"])
    parent = sf.Account.get_by_custom_id("Customer_Key__c", "PARENT-1")
    assert contact["AccountId"] == parent["Id"]
    sf.bulk2.Contact.update(records=[{"Id": contact["Id"], "Title": "CFO"}], wait=0)
    assert sf.Contact.get(contact["Id"])["Title"] == "CFO"
    sf.bulk2.Contact.delete(records=[{"Id": contact["Id"]}], wait=0)
    assert sf.query(f"SELECT Id FROM Contact WHERE Id = '{contact['Id']}'")["totalSize"] == 0


def test_query_job_pages_with_the_locator(sf):
    total = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    assert total >= 3
    pages = list(sf.bulk2.Account.query("SELECT Id, Name, Owner.Name FROM Account", max_records=2, wait=0))
    got = [r for page in pages for r in rows(page)]
    assert len(got) == total and len(pages) == -(-total // 2)
    assert set(got[0]) == {"Id", "Name", "Owner.Name"}
    assert len({r["Id"] for r in got}) == total


def test_job_waits_on_the_simulated_clock_and_states_are_enforced(sf, org, harness):
    org.settings["bulk_processing_seconds"] = 600
    job = raw(sf, "POST", "ingest", json={"object": "Account", "operation": "insert", "contentType": "CSV"}).json()
    assert job["state"] == "Open" and job["jobType"] == "V2Ingest" and job["contentUrl"].endswith("/batches")
    up = raw(sf, "PUT", f"ingest/{job['id']}/batches", data="Name\nClocked\n", headers={"Content-Type": "text/csv"})
    assert up.status_code == 201
    again = raw(sf, "PUT", f"ingest/{job['id']}/batches", data="Name\nTwice\n", headers={"Content-Type": "text/csv"})
    assert again.status_code == 409 and again.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    closed = raw(sf, "PATCH", f"ingest/{job['id']}", json={"state": "UploadComplete"}).json()
    assert closed["state"] == "UploadComplete"
    assert raw(sf, "GET", f"ingest/{job['id']}").json()["state"] == "UploadComplete"
    assert rows(raw(sf, "GET", f"ingest/{job['id']}/unprocessedrecords").text) == [{"Name": "Clocked"}]
    harness.advance(601)
    done = raw(sf, "GET", f"ingest/{job['id']}").json()
    assert done["state"] == "JobComplete" and done["numberRecordsProcessed"] == 1
    reopen = raw(sf, "PATCH", f"ingest/{job['id']}", json={"state": "UploadComplete"})
    assert reopen.status_code == 409


def test_misuse_answers_in_the_rest_error_shape(sf):
    missing = raw(sf, "GET", "ingest/7500000000000AAAAA")
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    bad_op = raw(sf, "POST", "ingest", json={"object": "Account", "operation": "merge"})
    assert bad_op.status_code == 400 and bad_op.json()[0]["errorCode"] == "INVALIDJOB"
    bad_obj = raw(sf, "POST", "ingest", json={"object": "NoSuch__c", "operation": "insert"})
    assert bad_obj.status_code == 400
    job = raw(sf, "POST", "ingest", json={"object": "Account", "operation": "insert"}).json()
    wrong_type = raw(sf, "PUT", f"ingest/{job['id']}/batches", data='{"Name": "x"}',
                     headers={"Content-Type": "application/json"})
    assert wrong_type.status_code == 415 and isinstance(wrong_type.json(), list)
    nested = raw(sf, "POST", "query", json={"operation": "query",
                                            "query": "SELECT Id, (SELECT Id FROM Contacts) FROM Account"})
    assert nested.status_code == 400
    assert raw(sf, "GET", "ingest").json()["records"][0]["id"] == job["id"]
    anonymous = requests.get(f"{sf.bulk2_url}ingest")
    assert anonymous.status_code == 401 and anonymous.json()[0]["errorCode"] == "INVALID_SESSION_ID"
