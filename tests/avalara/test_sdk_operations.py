"""The SDK methods an order-to-cash integration calls, through the official ``avalara`` SDK."""
import pytest

from .conftest import ADDRESSES, client_for, irvine


def test_get_by_id_by_type_and_audit(avatax):
    made = avatax.create_transaction(irvine(100)).json()
    by_id = avatax.get_transaction_by_id(made["id"])
    assert by_id.status_code == 200 and by_id.json()["code"] == "INV-1"
    by_type = avatax.get_transaction_by_code_and_type("DEFAULT", "INV-1", "SalesInvoice")
    assert by_type.status_code == 200 and by_type.json()["id"] == made["id"]
    assert avatax.get_transaction_by_code_and_type("DEFAULT", "INV-1", "ReturnInvoice").status_code == 404
    audit = avatax.audit_transaction("DEFAULT", "INV-1").json()
    assert audit["apiCallStatus"] == "OriginalApiCallAvailable" and '"INV-1"' in audit["original"]["request"]
    assert avatax.audit_transaction_with_type("DEFAULT", "INV-1", "SalesInvoice").status_code == 200
    missing = avatax.get_transaction_by_id(999)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "EntityNotFoundError"


def test_change_code_settle_and_unvoid(avatax):
    avatax.create_transaction(irvine(100))
    changed = avatax.change_transaction_code("DEFAULT", "INV-1", {"newCode": "INV-1B"})
    assert changed.json()["code"] == "INV-1B"
    assert avatax.get_transaction_by_code("DEFAULT", "INV-1").status_code == 404
    settled = avatax.settle_transaction("DEFAULT", "INV-1B", {
        "verify": {"verifyTotalAmount": 100, "verifyTotalTax": 7.75}, "changeCode": {"newCode": "INV-1C"},
        "commit": {"commit": True}})
    assert settled.status_code == 200, settled.text
    assert settled.json()["code"] == "INV-1C" and settled.json()["status"] == "Committed"
    bad = avatax.settle_transaction("DEFAULT", "INV-1C", {"verify": {"verifyTotalTax": 1}})
    assert bad.status_code == 400
    avatax.void_transaction("DEFAULT", "INV-1C", {"code": "DocVoided"})
    unvoided = avatax.unvoid_transaction("DEFAULT", "INV-1C")
    assert unvoided.json()["status"] == "Committed"
    assert avatax.unvoid_transaction("DEFAULT", "INV-1C").json()["error"]["code"] == "InvalidDocumentStatus"


def test_add_and_delete_lines_recalculate(avatax):
    avatax.create_transaction(irvine(100))
    added = avatax.add_lines({"companyCode": "DEFAULT", "transactionCode": "INV-1", "documentType": "SalesInvoice",
                              "lines": [{"number": "2", "amount": 100, "taxCode": "P0000000"}]})
    assert added.status_code == 200, added.text
    assert added.json()["totalAmount"] == 200 and added.json()["totalTax"] == 15.5
    removed = avatax.delete_lines({"companyCode": "DEFAULT", "transactionCode": "INV-1", "lines": ["1"]})
    assert removed.json()["totalAmount"] == 100 and [l["lineNumber"] for l in removed.json()["lines"]] == ["2"]
    last = avatax.delete_lines({"companyCode": "DEFAULT", "transactionCode": "INV-1", "lines": ["2"]})
    assert last.json()["error"]["code"] == "MissingLine"


def test_bulk_lock_multidocument_and_batch(avatax):
    ids = [avatax.create_transaction(irvine(100, code=c)).json()["id"] for c in ("A-1", "A-2")]
    locked = avatax.bulk_lock_transaction({"documentIds": ids, "isLocked": True})
    assert locked.json() == {"numberOfRecords": 2}
    assert avatax.void_transaction("DEFAULT", "A-1", {"code": "DocVoided"}).json()["error"]["code"] == \
        "CannotModifyLockedTransaction"
    multi = avatax.create_multi_document_transaction({
        "code": "MD-1", "type": "SalesInvoice", "date": "2026-01-05", "customerCode": "ACME", "companyCode": "DEFAULT",
        "addresses": {"shipTo": ADDRESSES["irvine"]},
        "lines": [{"number": "1", "amount": 100, "companyCode": "DEFAULT"}, {"number": "2", "amount": 50,
                                                                            "companyCode": "EAST"}]})
    assert multi.status_code == 201, multi.text
    assert sorted(t["totalAmount"] for t in multi.json()["transactions"]) == [50, 100]
    company_id = avatax.query_companies({"$filter": "companyCode eq 'DEFAULT'"}).json()["value"][0]["id"]
    batch = avatax.create_transaction_batch(company_id, {"name": "b1", "transactions": [
        {"createTransactionModel": irvine(10, code="BT-1")}, {"createTransactionModel": irvine(20, code="BT-2")}]})
    assert batch.status_code == 201 and batch.json()["recordCount"] == 2
    assert avatax.get_transaction_by_code("DEFAULT", "BT-2").json()["totalAmount"] == 20


def test_tax_only_refund_returns_the_tax_alone(avatax):
    avatax.create_transaction(irvine(100, commit=True))
    resp = avatax.refund_transaction("DEFAULT", "INV-1", {"refundTransactionCode": "INV-1-T", "refundType": "TaxOnly",
                                                          "refundDate": "2026-01-20"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["type"] == "ReturnInvoice" and body["totalAmount"] == 0 and body["totalTax"] == -7.75
    assert sum(s["tax"] for s in body["summary"]) == pytest.approx(-7.75)


def test_definitions_and_rates(avatax):
    codes = avatax.query_tax_codes({"$filter": "taxCode startswith 'P' and isPhysical eq true"}).json()
    assert codes["value"] and all(c["taxCode"].startswith("P") for c in codes["value"])
    assert avatax.list_tax_codes_by_company(1, {"$top": 1}).json()["@recordsetCount"] >= 1
    uses = avatax.list_entity_use_codes({"$filter": "code in ('G', 'E')", "$orderBy": "code desc"}).json()
    assert [u["code"] for u in uses["value"]] == ["G", "E"]
    nexus = avatax.list_nexus({"$filter": "region eq 'CA'"}).json()["value"]
    assert nexus and {n["region"] for n in nexus} == {"CA"}
    assert avatax.list_nexus_by_company(1).json()["@recordsetCount"] == len(avatax.list_nexus().json()["value"])
    rates = avatax.tax_rates_by_postal_code({"country": "US", "postalCode": "92614"}).json()
    assert rates["totalRate"] == pytest.approx(0.0775)
    by_addr = avatax.tax_rates_by_address({**ADDRESSES["chicago"]}).json()
    assert by_addr["totalRate"] > 0 and by_addr["rates"]
    near = avatax.list_jurisdictions_by_address({**ADDRESSES["irvine"]}).json()["value"]
    assert {j["type"] for j in near} >= {"State"}


def test_bad_filter_is_avatax_error(avatax):
    unbalanced = avatax.query_tax_codes({"$filter": "(taxCode eq 'P0000000'"})
    assert unbalanced.status_code == 400 and unbalanced.json()["error"]["code"] == "OpenClauseException"
    joined = avatax.query_tax_codes({"$filter": "taxCode eq 'A' id eq 1"}).json()["error"]
    assert joined["code"] == "ExpectedConjunctionError" and joined["details"][0]["number"] == 183
    unknown = avatax.query_tax_codes({"$filter": "nosuchfield eq 1"}).json()["error"]
    assert unknown["code"] == "ModelStateInvalid"


def test_companies_customers_certificates(avatax):
    made = avatax.create_companies([{"companyCode": "WEST", "name": "West Co"}])
    assert made.status_code == 201
    west = made.json()[0]
    assert avatax.get_company(west["id"]).json()["companyCode"] == "WEST"
    assert avatax.create_companies([{"companyCode": "WEST"}]).status_code == 400
    assert avatax.get_company(9999).status_code == 404
    cust = avatax.create_customers(west["id"], [{"customerCode": "C-1", "name": "Acme", "country": "US",
                                                 "region": "CA"}, {"customerCode": "C-2", "name": "Beta"}])
    assert cust.status_code == 201 and [c["customerCode"] for c in cust.json()] == ["C-1", "C-2"]
    assert avatax.get_customer(west["id"], "C-1").json()["name"] == "Acme"
    assert avatax.query_customers(west["id"], {"$filter": "name contains 'bet'"}).json()["value"][0]["customerCode"] \
        == "C-2"
    cert = avatax.create_certificates(west["id"], [{
        "signedDate": "2026-01-01", "expirationDate": "2027-01-01", "exemptionNumber": "EX-1",
        "exemptionReason": {"name": "RESALE"}, "exposureZone": {"name": "California"},
        "customers": [{"customerCode": "C-1"}]}])
    assert cert.status_code == 201, cert.text
    assert avatax.list_certificates_for_customer(west["id"], "C-1").json()["@recordsetCount"] == 1
    assert avatax.list_certificates_for_customer(west["id"], "C-2").json()["@recordsetCount"] == 0
    assert avatax.query_certificates(west["id"], {"$filter": "exemptionNumber eq 'EX-1'"}).json()["value"]
    missing = avatax.create_certificates(west["id"], [{"signedDate": "2026-01-01", "expirationDate": "2027-01-01",
                                                       "exemptionReason": {"name": "RESALE"},
                                                       "exposureZone": {"name": "California"},
                                                       "customers": [{"customerCode": "NOPE"}]}])
    assert missing.status_code == 404


def test_certificates_reachable_for_the_calculation(harness, avatax):
    west = avatax.create_companies([{"companyCode": "WEST"}]).json()[0]
    avatax.create_customers(west["id"], [{"customerCode": "C-1"}])
    avatax.create_certificates(west["id"], [{"signedDate": "2026-01-01", "expirationDate": "2027-01-01",
                                             "exemptionReason": {"name": "RESALE"}, "exposureZone": {"name": "CA"},
                                             "customers": [{"customerCode": "C-1"}]}])
    state = harness.apps["avalara"].extensions["avalara_state"]
    assert state.customer("west", "C-1")["customerCode"] == "C-1"
    assert len(state.certificates_for("WEST", "C-1", on="2026-06-01")) == 1
    assert state.certificates_for("WEST", "C-1", on="2028-01-01") == []


def test_unknown_route_and_wrong_method_are_avatax_errors(harness, avatax):
    import requests
    base = harness.url("avalara")
    auth = {"Authorization": "Basic MTIzNDU2Om8yYy1saWNlbnNlLWtleQ=="}
    nope = requests.get(base + "/api/v2/nosuch", headers=auth)
    assert nope.status_code == 404 and nope.json()["error"]["code"] == "EntityNotFoundError"
    wrong = requests.delete(base + "/api/v2/transactions/create", headers=auth)
    assert wrong.status_code == 405 and wrong.json()["error"]["details"][0]["refersTo"] == "method"


def test_credentials_bearer_strict_and_empty_key(harness):
    base = harness.url("avalara")
    assert client_for(base, key="").ping().json()["authenticated"] is False
    assert client_for(base, key="").create_transaction(irvine(1)).status_code == 401
    token = harness.control("avalara").post("/avalara/tokens", {"account": 123456})["token"]
    from avalara import AvataxClient
    bearer = AvataxClient("t", "1", "ci", base).add_credentials(token)
    assert bearer.create_transaction(irvine(1)).status_code == 201
    assert AvataxClient("t", "1", "ci", base).add_credentials("made-up").create_transaction(irvine(1)).status_code \
        == 401
    harness.control("avalara").post("/avalara/credentials", {"strict": True, "licenses": {"123456": "right"}})
    assert client_for(base, key="right").create_transaction(irvine(1, code="S-1")).status_code == 201
    assert client_for(base, key="o2c-license-key").create_transaction(irvine(1, code="S-2")).status_code == 401
    assert client_for(base, account="999", key="right").create_transaction(irvine(1, code="S-3")).status_code == 401
    assert harness.control("avalara").get("/avalara/credentials") == {"strict": True, "licenses": 1, "passwords": 0}


def test_a_certificate_on_file_exempts_the_customers_lines_in_its_zone(avatax):
    from .conftest import estimate
    west = avatax.create_companies([{"companyCode": "WEST"}]).json()[0]
    assert avatax.create_nexus(west["id"], [{"country": "US", "region": "CA"},
                                            {"country": "US", "region": "NY"}]).status_code == 201
    avatax.create_customers(west["id"], [{"customerCode": "EXEMPT-1"}])
    cert = avatax.create_certificates(west["id"], [{
        "signedDate": "2026-01-01", "expirationDate": "2026-12-31", "exemptionNumber": "RESALE-77",
        "exemptionReason": {"name": "RESALE"}, "exposureZone": {"name": "California"},
        "customers": [{"customerCode": "EXEMPT-1"}]}]).json()[0]
    exempt = avatax.create_transaction(estimate("irvine", 100, companyCode="WEST", customerCode="EXEMPT-1")).json()
    assert exempt["totalTax"] == 0 and exempt["totalExempt"] == 100
    assert exempt["lines"][0]["exemptCertId"] == cert["id"] and exempt["lines"][0]["exemptNo"] == "RESALE-77"
    elsewhere = avatax.create_transaction(estimate("nyc", 100, companyCode="WEST", customerCode="EXEMPT-1")).json()
    assert elsewhere["totalTax"] > 0        # the certificate covers California only
    other = avatax.create_transaction(estimate("irvine", 100, companyCode="WEST", customerCode="TAXED-1")).json()
    assert other["totalTax"] > 0            # another customer of the company pays tax
    expired = avatax.create_transaction(estimate("irvine", 100, companyCode="WEST", customerCode="EXEMPT-1",
                                                 date="2027-02-01")).json()
    assert expired["totalTax"] > 0          # after the certificate's expiration date


def test_a_company_collects_only_where_it_declared_nexus(avatax):
    from .conftest import estimate
    east = avatax.create_companies([{"companyCode": "EAST"}]).json()[0]
    assert avatax.list_nexus_by_company(east["id"]).json()["value"] == []
    none = avatax.create_transaction(estimate("nyc", 100, companyCode="EAST")).json()
    assert none["totalTax"] == 0                       # no nexus anywhere: nothing collected
    made = avatax.create_nexus(east["id"], [{"country": "US", "region": "NY"}])
    assert made.status_code == 201 and made.json()[0]["region"] == "NY"
    assert avatax.create_transaction(estimate("nyc", 100, companyCode="EAST")).json()["totalTax"] > 0
    assert avatax.create_transaction(estimate("irvine", 100, companyCode="EAST")).json()["totalTax"] == 0
    assert [n["region"] for n in avatax.list_nexus_by_company(east["id"]).json()["value"]] == ["NY"]
    missing = avatax.create_nexus(east["id"], [{"country": "US"}])
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "ValueRequiredError"
    default = avatax.create_transaction(estimate("irvine", 100)).json()   # DEFAULT collects everywhere
    assert default["totalTax"] > 0
