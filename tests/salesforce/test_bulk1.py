"""Bulk API 1.0 (JSON) through simple-salesforce's ``sf.bulk`` unchanged: insert with a failing
record, upsert by external id with a parent lookup, update, delete, query with result sets,
batches waiting on the simulated clock, and the API's error body."""
from __future__ import annotations

import requests


def test_insert_reports_each_record(sf):
    out = sf.bulk.Account.insert([{"Name": "B1 One", "Customer_Key__c": "B1-1"},
                                  {"Customer_Key__c": "B1-2"}], batch_size=10)
    assert out[0]["success"] is True and out[0]["created"] is True and out[0]["id"].startswith("001")
    assert out[1]["success"] is False and out[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.Account.get_by_custom_id("Customer_Key__c", "B1-1")["Name"] == "B1 One"


def test_upsert_update_delete_and_parent_lookup(sf):
    first = sf.bulk.Account.upsert([{"Customer_Key__c": "B1-UP", "Name": "Up One"}], "Customer_Key__c")
    again = sf.bulk.Account.upsert([{"Customer_Key__c": "B1-UP", "Name": "Up Two"}], "Customer_Key__c")
    assert first[0]["created"] is True and again[0]["created"] is False and first[0]["id"] == again[0]["id"]
    contact = sf.bulk.Contact.insert([{"LastName": "Kid", "Account": {"Customer_Key__c": "B1-UP"}}])[0]
    assert sf.Contact.get(contact["id"])["AccountId"] == first[0]["id"]
    sf.bulk.Contact.update([{"Id": contact["id"], "Title": "Controller"}])
    assert sf.Contact.get(contact["id"])["Title"] == "Controller"
    gone = sf.bulk.Contact.delete([{"Id": contact["id"]}])
    assert gone[0]["success"] is True
    assert sf.query(f"SELECT Id FROM Contact WHERE Id = '{contact['id']}'")["totalSize"] == 0


def test_query_returns_every_record(sf):
    total = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    rows = sf.bulk.Account.query("SELECT Id, Name FROM Account", lazy_operation=False, wait=0)
    assert len(rows) == total and all(r["Id"].startswith("001") for r in rows)


def test_batches_wait_on_the_clock_and_errors_use_the_bulk_shape(sf, org, harness):
    org.settings["bulk_processing_seconds"] = 300
    url = sf.bulk_url
    headers = {"X-SFDC-Session": sf.session_id, "Content-Type": "application/json"}
    job = requests.post(url + "job", json={"operation": "insert", "object": "Account", "contentType": "JSON"},
                        headers=headers).json()
    assert job["state"] == "Open" and job["contentType"] == "JSON"
    batch = requests.post(f"{url}job/{job['id']}/batch", json=[{"Name": "Later"}], headers=headers).json()
    assert batch["state"] == "Queued"
    assert requests.get(f"{url}job/{job['id']}/batch/{batch['id']}", headers=headers).json()["state"] == "Queued"
    harness.advance(301)
    done = requests.get(f"{url}job/{job['id']}/batch/{batch['id']}", headers=headers).json()
    assert done["state"] == "Completed" and done["numberRecordsProcessed"] == 1
    closed = requests.post(f"{url}job/{job['id']}", json={"state": "Closed"}, headers=headers).json()
    assert closed["state"] == "Closed" and closed["numberBatchesCompleted"] == 1
    late = requests.post(f"{url}job/{job['id']}/batch", json=[{"Name": "Too late"}], headers=headers)
    assert late.status_code == 400 and late.json()["exceptionCode"] == "InvalidJobState"
    bad = requests.get(f"{url}job/750000000000000AAA", headers=headers)
    assert bad.status_code == 400 and bad.json() == {"exceptionCode": "InvalidJob",
                                                      "exceptionMessage": "Invalid job id: 750000000000000AAA"}


def test_csv_jobs_take_csv_batches_and_answer_csv(sf):
    url = sf.bulk_url
    headers = {"X-SFDC-Session": sf.session_id, "Content-Type": "application/json"}
    csv_headers = {"X-SFDC-Session": sf.session_id, "Content-Type": "text/csv"}
    job = requests.post(url + "job", json={"operation": "insert", "object": "Contact", "contentType": "CSV"},
                        headers=headers).json()
    assert job["contentType"] == "CSV"
    batch = requests.post(f"{url}job/{job['id']}/batch", headers=csv_headers,
                          data="LastName,Title,Account.Customer_Key__c\nCsv One,,ACME-IRVINE\n,Nobody,\n").json()
    results = requests.get(f"{url}job/{job['id']}/batch/{batch['id']}/result", headers=headers)
    assert results.headers["Content-Type"].startswith("text/csv")
    lines = results.text.strip().splitlines()
    assert lines[0] == '"Id","Success","Created","Error"'
    assert lines[1].startswith('"003') and '"true","true"' in lines[1]
    assert '"false","false","REQUIRED_FIELD_MISSING' in lines[2]
    query = requests.post(url + "job", json={"operation": "query", "object": "Contact", "contentType": "CSV"},
                          headers=headers).json()
    qb = requests.post(f"{url}job/{query['id']}/batch", headers=csv_headers,
                       data="SELECT LastName, Account.Name FROM Contact WHERE LastName = 'Csv One'").json()
    listing = requests.get(f"{url}job/{query['id']}/batch/{qb['id']}/result", headers=headers)
    assert listing.headers["Content-Type"].startswith("application/xml") and "<result>752" in listing.text
    result_id = listing.text.split("<result>")[1].split("</result>")[0]
    rows = requests.get(f"{url}job/{query['id']}/batch/{qb['id']}/result/{result_id}", headers=headers).text
    assert rows.splitlines() == ['"LastName","Account.Name"', '"Csv One","Acme Irvine Inc."']
