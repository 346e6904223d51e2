"""Calculation rules (taxIncluded, discounts, exemption, nexus) and the sourced rate table
(address resolution, Canada, the EU, effective dates), through the SDK and on the engine."""
from datetime import date
from decimal import Decimal

import pytest

from simulators import data
from simulators.avalara.engine import ExemptionInfo, TaxTables, distribute_discount

from .conftest import ADDRESSES


def D(value) -> Decimal:
    return Decimal(str(value))


def where(city, region, postal, country="US", line1="1 Main St"):
    return {"line1": line1, "city": city, "region": region, "postalCode": postal, "country": country}


def at(address, lines, day="2026-01-05", **extra):
    model = {"type": "SalesOrder", "date": day, "customerCode": "C1", "addresses": {"singleLocation": address},
             "lines": lines}
    model.update(extra)
    return model


@pytest.fixture(scope="module")
def tables():
    return TaxTables()


# ---- taxIncluded --------------------------------------------------------------------------------
@pytest.mark.parametrize("gross,tax,net", [
    ("107.75", "7.75", "100.00"),
    ("100", "7.19", "92.81"),     # Avalara's own figure: developer.avalara.com blog, "Calculating TaxIncluded"
])
def test_tax_included_is_backed_out_per_jurisdiction(avatax, gross, tax, net):
    body = avatax.create_transaction(at(ADDRESSES["irvine"], [{"amount": float(gross), "taxIncluded": True}])).json()
    line = body["lines"][0]
    assert (D(line["tax"]), D(line["lineAmount"]), line["taxIncluded"]) == (D(tax), D(net), True)
    assert D(line["lineAmount"]) + D(line["tax"]) == D(gross)
    assert D(body["totalTax"]) == D(tax) and D(body["totalAmount"]) == D(net)
    assert sum(D(d["tax"]) for d in line["details"]) == D(tax)


def test_without_tax_included_the_amount_is_pre_tax(avatax):
    line = avatax.create_transaction(at(ADDRESSES["irvine"], [{"amount": 107.75}])).json()["lines"][0]
    assert (D(line["tax"]), D(line["lineAmount"]), line["taxIncluded"]) == (D("8.36"), D("107.75"), False)


# ---- discounts ------------------------------------------------------------------------------------
def test_document_discount_lowers_the_taxable_amount_of_discounted_lines(avatax):
    body = avatax.create_transaction(at(ADDRESSES["irvine"], [{"amount": 100, "discounted": True}],
                                        discount=10)).json()
    line = body["lines"][0]
    assert D(line["tax"]) == D("6.98")   # 5.40 + 0.23 + 0.90 + 0.45 on $90
    assert (D(line["lineAmount"]), D(line["discountAmount"]), D(line["taxableAmount"])) == (100, 10, 90)
    assert D(body["totalDiscount"]) == 10 and D(body["totalAmount"]) == 100


def test_discount_is_spread_in_proportion_and_skips_undiscounted_lines(avatax):
    lines = [{"number": "1", "amount": 100, "discounted": True}, {"number": "2", "amount": 200, "discounted": True},
             {"number": "3", "amount": 50}]
    body = avatax.create_transaction(at(ADDRESSES["irvine"], lines, discount=30)).json()
    assert [D(l["discountAmount"]) for l in body["lines"]] == [10, 20, 0]
    assert [D(l["taxableAmount"]) for l in body["lines"]] == [90, 180, 50]
    assert D(body["totalDiscount"]) == 30


def test_a_discount_without_discounted_lines_is_ignored(avatax):
    body = avatax.create_transaction(at(ADDRESSES["irvine"], [{"amount": 100}], discount=10)).json()
    assert D(body["totalTax"]) == D("7.75") and D(body["totalDiscount"]) == 0


def test_discount_shares_keep_every_cent():
    assert distribute_discount(D("10"), [D("1"), D("1"), D("1")]) == [D("3.33"), D("3.33"), D("3.34")]
    assert sum(distribute_discount(D("0.05"), [D("3"), D("7")])) == D("0.05")


# ---- exemption ------------------------------------------------------------------------------------
def test_entity_use_code_exempts_the_document(avatax):
    body = avatax.create_transaction(at(ADDRESSES["irvine"], [{"amount": 100}], entityUseCode="E")).json()
    line = body["lines"][0]
    assert D(body["totalTax"]) == 0 and D(body["totalExempt"]) == 100 and D(line["taxableAmount"]) == 0
    assert line["entityUseCode"] == "E" and line["exemptCertId"] == 0
    assert {d["nonTaxableType"] for d in line["details"]} == {"ExemptEntityRule"}
    assert all(D(d["exemptAmount"]) == 100 and D(d["tax"]) == 0 for d in line["details"])


def test_exemption_number_on_a_line_exempts_only_that_line(avatax):
    lines = [{"number": "1", "amount": 100, "exemptionCode": "CERT-77"}, {"number": "2", "amount": 100}]
    body = avatax.create_transaction(at(ADDRESSES["irvine"], lines)).json()
    first, second = body["lines"]
    assert (D(first["tax"]), first["exemptNo"], D(first["exemptAmount"])) == (0, "CERT-77", 100)
    assert (D(second["tax"]), second["exemptNo"]) == (D("7.75"), None)


def test_an_unknown_entity_use_code_exempts_nothing_and_says_so(avatax):
    body = avatax.create_transaction(at(ADDRESSES["irvine"], [{"amount": 100}], entityUseCode="ZZ")).json()
    assert D(body["totalTax"]) == D("7.75")
    assert any("ZZ" in m["summary"] and m["severity"] == "Warning" for m in body["messages"])


def test_a_certificate_applies_only_in_its_regions(tables):
    irvine = tables.locate(ADDRESSES["irvine"]).place
    code = tables.taxcode("P0000000")[1]
    wa_only = ExemptionInfo(exempt_no="WA-1", cert_id=42, regions=frozenset({("US", "WA")}))
    taxed = tables.line_tax(D("100.00"), irvine, code, day=date(2026, 1, 5), exempt=wa_only)
    ca = ExemptionInfo(exempt_no="CA-1", cert_id=43, regions=frozenset({("US", "CA")}))
    exempt = tables.line_tax(D("100.00"), irvine, code, day=date(2026, 1, 5), exempt=ca)
    assert (taxed["tax"], taxed["exemptAmount"]) == (D("7.75"), 0)
    assert (exempt["tax"], exempt["exemptAmount"], exempt["taxableAmount"]) == (0, D("100.00"), 0)


# ---- nexus ----------------------------------------------------------------------------------------
def test_no_nexus_means_no_tax_and_a_nexus_rule(tables):
    irvine = tables.locate(ADDRESSES["irvine"]).place
    code = tables.taxcode("P0000000")[1]
    none = tables.line_tax(D("100.00"), irvine, code, day=date(2026, 1, 5), nexus={("US", "IL")})
    assert none["tax"] == 0 and none["taxableAmount"] == 0
    assert all(d["nonTaxableType"] == "NexusRule" and d["nonTaxableAmount"] == D("100.00") and d["tax"] == 0
               for d in none["details"])
    some = tables.line_tax(D("100.00"), irvine, code, day=date(2026, 1, 5), nexus={("US", "CA")})
    assert some["tax"] == D("7.75")


def test_canadian_nexus_is_federal_and_provincial(tables):
    bc = tables.locate(ADDRESSES["vancouver"]).place
    code = tables.taxcode("P0000000")[1]
    gst_only = tables.line_tax(D("200.00"), bc, code, day=date(2026, 1, 5), nexus={("CA", "")})
    both = tables.line_tax(D("200.00"), bc, code, day=date(2026, 1, 5), nexus={("CA", ""), ("CA", "BC")})
    assert (gst_only["tax"], both["tax"]) == (D("10.00"), D("24.00"))


def test_tax_included_backs_out_only_the_jurisdictions_that_tax(tables):
    bc = tables.locate(ADDRESSES["vancouver"]).place
    code = tables.taxcode("P0000000")[1]
    calc = tables.line_tax(D("105.00"), bc, code, day=date(2026, 1, 5), nexus={("CA", "")}, tax_included=True)
    assert (calc["tax"], calc["lineAmount"]) == (D("5.00"), D("100.00"))


# ---- addresses ------------------------------------------------------------------------------------
@pytest.mark.parametrize("address,total,jurisdictions", [
    (where("Seattle", "WA", "98101"), "10.35", {"WASHINGTON", "SEATTLE COMBINED LOCAL"}),
    (where("Denver", "CO", "80202"), "8.81", {"COLORADO", "DENVER", "REGIONAL TRANSPORTATION DISTRICT",
                                               "SCIENTIFIC AND CULTURAL FACILITIES DISTRICT"}),
    (where("Los Angeles", "CA", "90012"), "9.75", {"CALIFORNIA", "LOS ANGELES", "LOS ANGELES CO LOCAL TAX SL",
                                                    "LOS ANGELES COUNTY DISTRICT TAX SP"}),
    (where("Denver", "CO", ""), "8.81", None),          # city and state without a postal code
    (where("", "", "80202"), "8.81", None),              # a postal code alone
    (where("St. Louis", "MO", "63101"), "9.68", None),   # "St." is Saint: 4.23 + 5.45
])
def test_cities_resolve_by_city_region_and_postal_code(avatax, address, total, jurisdictions):
    body = avatax.create_transaction(at(address, [{"amount": 100}])).json()
    assert D(body["totalTax"]) == D(total), body
    assert not body.get("messages")
    if jurisdictions:
        assert {d["jurisName"] for d in body["lines"][0]["details"]} == jurisdictions


def test_city_and_postal_code_disagree_the_postal_code_decides_with_a_warning(avatax):
    body = avatax.create_transaction(at(where("Los Angeles", "CA", "92618"), [{"amount": 100}])).json()
    assert D(body["totalTax"]) == D("7.75")   # 92618 is Irvine
    [msg] = body["messages"]
    assert msg["severity"] == "Warning" and msg["refersTo"] == "Addresses" and "92618" in msg["details"]


def test_a_postal_code_of_another_state_is_not_a_jurisdiction(avatax):
    err = avatax.create_transaction(at(where("Seattle", "CA", "98101"), [{"amount": 100}])).json()["error"]
    assert err["code"] == "JurisdictionNotFoundError" and err["details"][0]["number"] == 130
    assert err["details"][0]["refersTo"] == "Addresses"


def test_an_unlisted_city_gets_the_state_rate_and_a_warning(avatax):
    body = avatax.create_transaction(at(where("Bellevue", "WA", "98004"), [{"amount": 100}])).json()
    assert D(body["totalTax"]) == D("6.50")
    assert body["addresses"][0]["boundaryLevel"] == "State"
    assert body["messages"][0]["severity"] == "Warning" and "state rate" in body["messages"][0]["summary"]


def test_resolve_address_reports_the_mismatch(avatax):
    resolved = avatax.resolve_address({"line1": "1 Main St", "city": "Los Angeles", "region": "CA",
                                       "postalCode": "92618", "country": "US"}).json()
    assert resolved["messages"] and resolved["messages"][0]["severity"] == "Warning"
    assert {a["jurisdictionName"] for a in resolved["taxAuthorities"]} >= {"ORANGE", "CALIFORNIA"}


# ---- Canada and the EU, with effective dates --------------------------------------------------------
def test_quebec_gst_and_qst(avatax):
    body = avatax.create_transaction(at(where("Montreal", "QC", "H2X 1Y4", "CA"), [{"amount": 100}])).json()
    assert [(d["taxName"], D(d["tax"])) for d in body["lines"][0]["details"]] == \
        [("CANADA GST", D("5.00")), ("QC QST", D("9.98"))]


def test_a_province_from_the_postal_code_alone(avatax):
    body = avatax.create_transaction(at(where("Toronto", "", "M5V 3L9", "CA"), [{"amount": 100}])).json()
    assert D(body["totalTax"]) == D("13.00")


@pytest.mark.parametrize("day,tax", [("2025-03-31", "15.00"), ("2025-04-01", "14.00")])
def test_nova_scotia_hst_follows_the_document_date(avatax, day, tax):
    body = avatax.create_transaction(at(where("Halifax", "NS", "B3H 1A1", "CA"), [{"amount": 100}], day=day)).json()
    assert D(body["totalTax"]) == D(tax)


@pytest.mark.parametrize("country,day,tax", [
    ("DE", "2026-01-05", "19.00"), ("FR", "2026-01-05", "20.00"), ("HU", "2026-01-05", "27.00"),
    ("EE", "2025-06-30", "22.00"), ("EE", "2025-07-01", "24.00"), ("FI", "2024-08-31", "24.00"),
    ("FI", "2024-09-01", "25.50"),
])
def test_eu_standard_vat(avatax, country, day, tax):
    body = avatax.create_transaction(at(where("", "", "10115", country), [{"amount": 100}], day=day)).json()
    assert D(body["totalTax"]) == D(tax)
    assert body["lines"][0]["details"][0]["jurisType"] == "CNT"


# ---- TaxRateModel --------------------------------------------------------------------------------
def test_rates_for_address_has_the_taxratemodel_shape(tables):
    model = tables.rates_for_address({"line1": "2000 Main St", "city": "Irvine", "region": "CA",
                                      "postalcode": "92614", "country": "US"}, date(2026, 1, 5))
    assert model["totalRate"] == D("0.0775")
    assert [(r["name"], r["type"]) for r in model["rates"]] == [
        ("CA STATE TAX", "State"), ("CA COUNTY TAX", "County"), ("CA SPECIAL TAX", "Special"),
        ("CA SPECIAL TAX", "Special")]
    assert sum(r["rate"] for r in model["rates"]) == model["totalRate"]


# ---- the table itself ----------------------------------------------------------------------------
def test_every_row_has_a_source_and_an_effective_date():
    raw = data.load("tax_jurisdictions")
    sources = raw["sources"]
    entries = raw["states"] + raw["places"]
    for entry in entries:
        assert entry["source"] in sources, entry["name"]
        date.fromisoformat(entry["effective"])
        for row in entry["rows"]:
            assert row.get("source", entry["source"]) in sources, (entry["name"], row)
            date.fromisoformat(row["effective"])
            assert D(row["rate"]) >= 0


def test_coverage_counts_and_state_rows_match_their_states():
    raw = data.load("tax_jurisdictions")
    states = {s["region"]: s for s in raw["states"]}
    assert len(states) == 51 and "DC" in states
    us = [p for p in raw["places"] if p["country"] == "US"]
    assert len(us) >= 100
    assert len({p["country"] for p in raw["places"] if p["country"] not in ("US", "CA", "GB")}) == 27
    assert {p["region"] for p in raw["places"] if p["country"] == "CA"} == \
        {"AB", "BC", "MB", "SK", "QC", "ON", "NB", "NL", "PE", "NS", "NT", "NU", "YT"}
    for p in us:
        state_sta = [r["rate"] for r in states[p["region"]]["rows"] if r["jurisType"] == "STA"]
        assert [r["rate"] for r in p["rows"] if r["jurisType"] == "STA"] == state_sta, p["name"]


def test_taxrates_endpoints_through_the_sdk(avatax):
    by_address = avatax.tax_rates_by_address({"line1": "1600 Broadway", "city": "Denver", "region": "CO",
                                              "postalCode": "80202", "country": "US"}).json()
    assert D(by_address["totalRate"]) == D("0.0881")
    assert {(r["name"], r["type"]) for r in by_address["rates"]} >= {("CO STATE TAX", "State"), ("CO CITY TAX", "City")}
    by_postal = avatax.tax_rates_by_postal_code({"country": "US", "postalCode": "98101"}).json()
    assert D(by_postal["totalRate"]) == D("0.1035")
    missing = avatax.tax_rates_by_postal_code({"country": "US"}).json()
    assert missing["error"]["code"] == "ValueRequiredError" and missing["error"]["target"] != ""


def test_an_address_warning_is_given_once_for_the_document(avatax):
    lines = [{"number": "1", "amount": 100}, {"number": "2", "amount": 50}]
    body = avatax.create_transaction(at(where("Los Angeles", "CA", "92618"), lines)).json()
    assert len(body["messages"]) == 1 and D(body["totalTax"]) == D("7.75") + D("3.88")
