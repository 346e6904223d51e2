"""Composite graph, API-limit counting of composite calls, the security-token rule, /recent and
describe/layouts, through simple-salesforce in-process."""
from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceMalformedRequest

V = "/services/data/v59.0"
LOGIN = "https://login.salesforce.com/services/oauth2/token"


def node(ref, method, url, body=None):
    out = {"referenceId": ref, "method": method, "url": V + url}
    if body is not None:
        out["body"] = body
    return out


def graph(sf, *graphs):
    return sf.restful("composite/graph", method="POST",
                      json={"graphs": [{"graphId": g, "compositeRequest": nodes} for g, nodes in graphs]})


def names(sf, *wanted):
    quoted = ",".join(f"'{n}'" for n in wanted)
    return sorted(r["Name"] for r in sf.query(f"SELECT Name FROM Account WHERE Name IN ({quoted})")["records"])


# ---- composite graph ------------------------------------------------------------------------------
def test_graph_references_and_each_graph_all_or_none_on_its_own(sf):
    out = graph(sf,
                ("ok", [node("acct", "POST", "/sobjects/Account", {"Name": "Graph One"}),
                        node("con", "POST", "/sobjects/Contact", {"LastName": "Uno", "AccountId": "@{acct.id}"}),
                        node("read", "GET", "/sobjects/Contact/@{con.id}")]),
                ("bad", [node("acct", "POST", "/sobjects/Account", {"Name": "Graph Two"}),
                         node("con", "POST", "/sobjects/Contact", {"LastName": "Dos", "Nope__c": 1})]))["graphs"]
    assert [g["graphId"] for g in out] == ["ok", "bad"]
    ok, bad = out
    assert ok["isSuccessful"] is True
    steps = ok["graphResponse"]["compositeResponse"]
    assert [s["httpStatusCode"] for s in steps] == [201, 201, 200]
    assert steps[2]["body"]["AccountId"] == steps[0]["body"]["id"]
    assert bad["isSuccessful"] is False
    first, second = bad["graphResponse"]["compositeResponse"]
    assert first["body"][0]["errorCode"] == "PROCESSING_HALTED" and first["referenceId"] == "acct"
    assert second["body"][0]["errorCode"] == "INVALID_FIELD"
    assert names(sf, "Graph One", "Graph Two") == ["Graph One"]   # the failed graph left nothing behind


def test_graph_references_do_not_cross_graphs(sf):
    out = graph(sf, ("g1", [node("a", "POST", "/sobjects/Account", {"Name": "Cross A"})]),
                ("g2", [node("c", "POST", "/sobjects/Contact", {"LastName": "X", "AccountId": "@{a.id}"})]))["graphs"]
    assert out[0]["isSuccessful"] and not out[1]["isSuccessful"]
    assert out[1]["graphResponse"]["compositeResponse"][0]["httpStatusCode"] == 400


def test_graph_limits_and_unsupported_nodes(sf):
    with pytest.raises(SalesforceMalformedRequest) as too_many:
        graph(sf, *[(f"g{i}", [node("a", "GET", "/sobjects/Account/001000000000000")]) for i in range(76)])
    assert too_many.value.content[0]["errorCode"] == "INVALID_INPUT"
    with pytest.raises(SalesforceMalformedRequest):
        graph(sf, ("dup", [node("a", "POST", "/sobjects/Account", {"Name": "D1"})]),
              ("dup", [node("a", "POST", "/sobjects/Account", {"Name": "D2"})]))
    with pytest.raises(SalesforceMalformedRequest) as nodes:
        graph(sf, ("big", [node(f"n{i}", "POST", "/sobjects/Account", {"Name": f"N{i}"}) for i in range(501)]))
    assert "500" in nodes.value.content[0]["message"]
    deep = [node("n0", "POST", "/sobjects/Account", {"Name": "Deep 0"})]
    deep += [node(f"n{i}", "PATCH", f"/sobjects/Account/@{{n{i - 1}.id}}", {"Name": f"Deep {i}"})
             for i in range(1, 16)]   # 16 levels: one too deep
    out = graph(sf, ("deep", deep), ("query", [node("q", "GET", "/query?q=SELECT+Id+FROM+Account")]),
                ("fine", [node("a", "POST", "/sobjects/Account", {"Name": "Still Fine"})]))["graphs"]
    assert [g["isSuccessful"] for g in out] == [False, False, True]
    assert "depth" in out[0]["graphResponse"]["compositeResponse"][15]["body"][0]["message"]
    assert "not supported" in out[1]["graphResponse"]["compositeResponse"][0]["body"][0]["message"]
    assert names(sf, "Deep 0", "Still Fine") == ["Still Fine"]


def test_graph_failures_beyond_fourteen_halt_the_rest(sf):
    bad = [node("c", "POST", "/sobjects/Contact", {"Nope__c": 1})]
    out = graph(sf, *[(f"bad{i}", bad) for i in range(15)],
                ("late", [node("a", "POST", "/sobjects/Account", {"Name": "Too Late"})]))["graphs"]
    assert not any(g["isSuccessful"] for g in out)
    assert out[-1]["graphResponse"]["compositeResponse"][0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert names(sf, "Too Late") == []


# ---- API limit counting -------------------------------------------------------------------------
def remaining(sf):
    return sf.restful("limits")["DailyApiRequests"]["Remaining"]


@pytest.mark.parametrize("path,body", [
    ("composite", {"compositeRequest": [node(f"r{i}", "GET", "/limits") for i in range(5)]}),
    ("composite/batch", {"batchRequests": [{"method": "GET", "url": "v59.0/limits"} for _ in range(5)]}),
    ("composite/graph", {"graphs": [{"graphId": "g", "compositeRequest": [
        node(f"a{i}", "POST", "/sobjects/Account", {"Name": f"Counted {i}"}) for i in range(5)]}]}),
    ("composite/tree/Account", {"records": [{"attributes": {"type": "Account", "referenceId": f"t{i}"},
                                             "Name": f"Tree {i}"} for i in range(5)]}),
])
def test_a_composite_call_counts_once(sf, ctl, path, body):
    before = remaining(sf)
    sf.restful(path, method="POST", json=body)
    assert before - remaining(sf) == 2   # the composite call and the second /limits
    ctl.post("/salesforce/api-usage", {"used": 100_000})
    with pytest.raises(Exception) as refused:
        sf.restful(path, method="POST", json=body)
    assert "REQUEST_LIMIT_EXCEEDED" in str(refused.value)


# ---- the security token ---------------------------------------------------------------------------
def password_grant(password, username="integration@o2c.test"):
    return requests.post(LOGIN, data={"grant_type": "password", "client_id": "o2c-client-id",
                                      "client_secret": "o2c-client-secret", "username": username,
                                      "password": password})


def test_login_without_the_security_token_is_refused(harness):
    r = password_grant("o2c-password")
    assert r.status_code == 400 and r.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    assert password_grant("o2c-passwordO2CTOKEN").status_code == 200
    with pytest.raises(SalesforceAuthenticationFailed) as soap:
        Salesforce(username="integration@o2c.test", password="o2c-password", security_token="")
    assert "INVALID_LOGIN" in str(soap.value)
    Salesforce(username="integration@o2c.test", password="o2c-password", security_token="O2CTOKEN")


def test_trusted_ip_ranges_waive_the_token(harness, ctl):
    assert ctl.get("/salesforce/settings")["trusted_ip_ranges"] == []
    ctl.post("/salesforce/settings", {"trusted_ip_ranges": ["10.0.0.0/8"]})
    assert password_grant("o2c-password").status_code == 400          # in-process callers are 127.0.0.1
    ctl.post("/salesforce/settings", {"trusted_ip_ranges": ["127.0.0.0/24"]})
    assert password_grant("o2c-password").status_code == 200
    Salesforce(username="integration@o2c.test", password="o2c-password", security_token="")
    assert password_grant("wrong").status_code == 400                  # a wrong password still is wrong
    with pytest.raises(Exception) as bad:
        ctl.post("/salesforce/settings", {"trusted_ip_ranges": ["not-a-cidr"]})
    assert "trusted_ip_ranges" in str(bad.value)


# ---- /recent, describe/layouts, the version root ---------------------------------------------------
def test_recent_lists_the_users_viewed_records_most_recent_first(sf, harness):
    accounts = sf.query("SELECT Id, Name, Customer_Key__c FROM Account ORDER BY Name LIMIT 3")["records"]
    assert not sf.restful("recent")   # simple-salesforce answers None for an empty list
    for a in accounts:
        sf.Account.get(a["Id"])
    sf.Account.get_by_custom_id("Customer_Key__c", accounts[0]["Customer_Key__c"])
    recent = sf.restful("recent")
    assert [r["Id"] for r in recent] == [accounts[0]["Id"], accounts[2]["Id"], accounts[1]["Id"]]
    assert set(recent[0]) == {"attributes", "Id", "Name"} and recent[0]["attributes"]["type"] == "Account"
    assert len(sf.restful("recent", params={"limit": 2})) == 2
    finance = Salesforce(username="finance@o2c.test", password="o2c-password", security_token="O2CTOKEN")
    assert not finance.restful("recent")   # another user's views are their own
    sf.Account.delete(accounts[2]["Id"])
    assert accounts[2]["Id"] not in [r["Id"] for r in sf.restful("recent")]


def test_describe_layouts(sf):
    out = sf.restful("sobjects/Account/describe/layouts")
    assert out["recordTypeSelectorRequired"] == [False]
    (mapping,) = out["recordTypeMappings"]
    assert mapping["master"] and mapping["recordTypeId"] == "012000000000000AAA"
    (layout,) = out["layouts"]
    assert mapping["layoutId"] == layout["id"] and layout["id"].startswith("00h")
    items = [i for row in layout["detailLayoutSections"][0]["layoutRows"] for i in row["layoutItems"]]
    fields = {f["name"] for f in sf.Account.describe()["fields"]} - {"IsDeleted"}
    assert {i["layoutComponents"][0]["value"] for i in items} == fields
    one = sf.restful(mapping["urls"]["layout"].split(V + "/", 1)[1])
    assert one["id"] == layout["id"]
    with pytest.raises(Exception) as missing:
        sf.restful("sobjects/Account/describe/layouts/0125c000000oIN9AAM")
    assert "NOT_FOUND" in str(missing.value)


def test_every_advertised_resource_is_served(sf):
    root = sf.restful("")
    assert {"sobjects", "query", "limits", "composite", "recent"} <= set(root) and "tooling" not in root
    for name, url in root.items():
        r = requests.get("https://o2c.my.salesforce.com" + url, headers={"Authorization": "Bearer " + sf.session_id})
        assert r.status_code != 404, name
    assert set(sf.restful("composite")) == {"tree", "batch", "sobjects", "graph"}
