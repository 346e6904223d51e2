"""The fake AvaTax's request path keeps its answers while doing less per request: bodies read as
``json`` reads them, credentials resolved once per header until they change, correlation ids as
uuid.UUID words them, and the tax tables' memo giving what a fresh computation gives."""
import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
import requests

from simulators.avalara.engine import MEMO_SIZE, ExemptionInfo, TaxTables
from simulators.avalara.errors import AvaTaxError
from simulators.avalara.routes import correlation_id, parse_body
from simulators.core.jsonutil import loads
from simulators.avalara.values import lower_keys

from .conftest import client_for, irvine


@pytest.mark.parametrize("raw", [
    b'{"Type":"SalesOrder","Lines":[{"Amount":100.10,"Quantity":3}],"Date":"2026-01-05"}',
    b'{"x": 123456789012345678901234567890}',          # beyond 64 bits: read exactly, not as a float
    b'{"x": -9223372036854775809, "y": 18446744073709551615}',
    b'\xef\xbb\xbf{"A": 1}',                           # a byte order mark
    b'{"a": NaN, "b": 1e400}',                          # what json reads and orjson refuses
    b'{"a": "\\ud800"}',                                # a lone surrogate
    b'[{"A": [{"B": 1}]}]',
    b'{"a": 0.1, "b": 1.0, "c": -0, "d": 5e-324}',
])
def test_a_body_reads_as_json_reads_it(raw):
    want = lower_keys(loads(raw))
    got = parse_body(raw)
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    assert repr(got) == repr(want)   # the same types too (int stays int)


@pytest.mark.parametrize("raw, detail", [
    (b"[" * 33 + b"]" * 33, "JSON nested more than 32 levels deep"),
    (b'{"a":' * 33 + b"1" + b"}" * 33, "JSON nested more than 32 levels deep"),
    (b"[" * 5000 + b"]" * 5000, "JSON nested more than 32 levels deep"),
    (b"[1", "Expecting ',' delimiter"),
    (b"\xff", "Invalid UTF-8"),
])
def test_a_bad_body_is_refused_as_before(raw, detail):
    with pytest.raises(AvaTaxError) as err:
        parse_body(raw)
    assert err.value.code == "ModelStateInvalid" and detail in err.value.description


def test_32_levels_still_pass():
    assert parse_body(b"[" * 32 + b"]" * 32)
    assert parse_body(b'{"a":' * 31 + b"[1]" + b"}" * 31)


@pytest.mark.parametrize("n", [1, 2, 77, 2 ** 64 + 7, 2 ** 127 - 1, 2 ** 128 - 1])
def test_correlation_ids_are_uuid4_words(n):
    assert correlation_id(n) == str(uuid.UUID(int=n, version=4))


def test_a_known_header_is_refused_as_soon_as_its_account_is_restricted(harness):
    avatax = client_for(harness.url("avalara"))
    assert avatax.create_transaction(irvine(100)).status_code == 201
    assert avatax.get_transaction_by_code("DEFAULT", "INV-1").status_code == 200
    control = harness.url("avalara") + "/_sim/avalara"
    assert requests.post(control + "/accounts", json={"allowed": ["999"]}).status_code == 200
    refused = avatax.get_transaction_by_code("DEFAULT", "INV-1")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "AuthenticationException"
    assert requests.post(control + "/accounts", json={"allowed": None}).status_code == 200
    assert avatax.get_transaction_by_code("DEFAULT", "INV-1").status_code == 200
    # strict credentials: the same header, now with a license key that does not match
    assert requests.post(control + "/credentials", json={"strict": True, "licenses": {"123456": "other"}}
                         ).status_code == 200
    assert avatax.get_transaction_by_code("DEFAULT", "INV-1").status_code == 401


VARIANTS = [{}, {"tax_included": True}, {"exempt": ExemptionInfo(exempt_no="EX-1")},
            {"exempt": ExemptionInfo(cert_id=7, regions=frozenset({("US", "CA")}))},
            {"nexus": {("US", "CA")}}, {"nexus": {("US", "IL"), ("CA", "")}}, {"nexus": set()},
            {"discount": Decimal("20.00")}, {"day": date(2019, 1, 1)}]


def test_the_tables_memo_gives_what_a_fresh_table_gives():
    kept, fresh = TaxTables(), TaxTables()
    places = kept.places.places[::4]
    codes = [kept.taxcode(c)[1] for c in ("P0000000", "SW054000", "NT")]
    for _ in range(2):   # the second round from the memo, each variant after the others
        for place in places:
            twin = next(p for p in fresh.places.places if p.name == place.name and p.region == place.region)
            for code in codes:
                for variant in VARIANTS:
                    kw = {"day": date(2026, 1, 5), **variant}
                    a = kept.line_tax(Decimal("123.45"), place, code, **kw)
                    fresh._memo.clear()
                    b = fresh.line_tax(Decimal("123.45"), twin, fresh.taxcode(code["taxCode"])[1], **kw)
                    assert a == b, (place.name, code["taxCode"], variant)
    assert len(kept._memo) <= MEMO_SIZE


def test_details_are_fresh_dicts():
    tables = TaxTables()
    place = tables.places.places[0]
    code = tables.taxcode("P0000000")[1]
    first = tables.line_tax(Decimal("10.00"), place, code, day=date(2026, 1, 5))
    first["details"][0]["tax"] = Decimal("999")
    again = tables.line_tax(Decimal("10.00"), place, code, day=date(2026, 1, 5))
    assert again["details"][0]["tax"] != Decimal("999")
