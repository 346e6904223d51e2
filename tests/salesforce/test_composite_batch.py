"""Composite batch as simple-salesforce's ``restful`` sends it: independent subrequests, results in
order, and ``haltOnError``."""
from __future__ import annotations


def batch(sf, requests_, halt=False):
    return sf.restful("composite/batch", method="POST",
                      json={"haltOnError": halt, "batchRequests": requests_})


def test_subrequests_run_independently_and_answer_in_order(sf):
    out = batch(sf, [
        {"method": "POST", "url": "v59.0/sobjects/Account", "richInput": {"Name": "Batch One"}},
        {"method": "POST", "url": "v59.0/sobjects/Account", "richInput": {"Phone": "no name"}},
        {"method": "GET", "url": "v59.0/query?q=SELECT+Name+FROM+Account+WHERE+Name+=+'Batch+One'"},
    ])
    assert out["hasErrors"] is True
    codes = [r["statusCode"] for r in out["results"]]
    assert codes == [201, 400, 200]
    assert out["results"][1]["result"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert out["results"][2]["result"]["totalSize"] == 1   # the first create was kept


def test_halt_on_error_answers_412_for_the_rest(sf):
    out = batch(sf, [
        {"method": "GET", "url": "v59.0/sobjects/Account/001000000000000AAA"},
        {"method": "POST", "url": "v59.0/sobjects/Account", "richInput": {"Name": "Never"}},
    ], halt=True)
    assert [r["statusCode"] for r in out["results"]] == [404, 412]
    assert out["results"][1]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Never'")["totalSize"] == 0
