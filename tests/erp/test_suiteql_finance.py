"""SuiteQL as finance teams write it: aging buckets, open balances, top-N, sub-queries, UNION,
ROWNUM paging, date and string functions, exact sums; and the SQLite mirror kept in sync.

The books (the simulated clock stands at 2026-01-05 09:00 UTC):
  Acme Corp  A1 100.10 due 2026-01-20 (current), A2 200.20 due 2025-12-20 (16 days late),
             A3 300.30 due 2025-11-01 (65 days late)
  Beta LLC   B1 50.05 due 2025-12-01 (35 days late), B2 1000.00 due 2025-09-01 (126 days late),
             400.00 of B2 paid on 2025-11-15
  Gamma Inc  G1 10.01 due 2026-02-01, paid in full on 2025-12-28
  Delta Co   no invoice
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulators.erp.suiteql.mirror import mirror_of

from .conftest import error_code

INVOICES = [("ACC-1", "A1", "100.10", "2025-12-21", "2026-01-20"), ("ACC-1", "A2", "200.20", "2025-11-20", "2025-12-20"),
            ("ACC-1", "A3", "300.30", "2025-10-02", "2025-11-01"), ("ACC-2", "B1", "50.05", "2025-11-01", "2025-12-01"),
            ("ACC-2", "B2", "1000.00", "2025-08-02", "2025-09-01"), ("ACC-3", "G1", "10.01", "2025-12-28", "2026-02-01")]


@pytest.fixture
def books(erp):
    for ext, name in (("ACC-1", "Acme Corp"), ("ACC-2", "Beta LLC"), ("ACC-3", "Gamma Inc"), ("ACC-4", "Delta Co")):
        erp.customer(ext, name)
    ids = {}
    for cust, key, amount, tran, due in INVOICES:
        so = erp.order(ext=f"SO-{key}", cust=cust, tranDate=tran, lines=[
            {"item": {"externalId": "HW-ROUTER"}, "quantity": 1, "rate": amount, "custcol_ava_taxamount": 0}])
        ids[key] = erp.invoice(so, {"tranDate": tran, "dueDate": due})
    for cust, key, amount, day in (("ACC-2", "B2", "400.00", "2025-11-15"), ("ACC-3", "G1", "10.01", "2025-12-28")):
        erp.create("/customerPayment", {"customer": {"externalId": cust}, "externalId": f"PAY-{key}", "payment": amount,
                                        "tranDate": day,
                                        "apply": {"items": [{"doc": {"id": ids[key]}, "apply": True, "amount": amount}]}})
    return ids


def items(erp, q, **params):
    r = erp.sql(q, **params)
    assert r.status_code == 200, r.text
    return [{k: v for k, v in i.items() if k != "links"} for i in r.json()["items"]]


def dec(v) -> Decimal:
    return Decimal(str(v))


def test_ar_aging_buckets_with_case_and_sysdate(erp_harness, erp, books):
    q = """SELECT BUILTIN.DF(t.entity) AS customer,
      SUM(CASE WHEN TRUNC(SYSDATE) - t.duedate <= 0 THEN t.foreignamountremaining ELSE 0 END) AS current_due,
      SUM(CASE WHEN TRUNC(SYSDATE) - t.duedate BETWEEN 1 AND 30 THEN t.foreignamountremaining ELSE 0 END) AS d1_30,
      SUM(CASE WHEN TRUNC(SYSDATE) - t.duedate BETWEEN 31 AND 60 THEN t.foreignamountremaining ELSE 0 END) AS d31_60,
      SUM(CASE WHEN TRUNC(SYSDATE) - t.duedate BETWEEN 61 AND 90 THEN t.foreignamountremaining ELSE 0 END) AS d61_90,
      SUM(CASE WHEN TRUNC(SYSDATE) - t.duedate > 90 THEN t.foreignamountremaining ELSE 0 END) AS d90_plus
    FROM Transaction t WHERE t.Type = 'CustInvc' AND t.foreignamountremaining > 0
    GROUP BY BUILTIN.DF(t.entity) ORDER BY customer"""
    rows = [{k: (v if k == "customer" else dec(v)) for k, v in r.items()} for r in items(erp, q)]
    assert rows == [
        {"customer": "Acme Corp", "current_due": Decimal("100.1"), "d1_30": Decimal("200.2"), "d31_60": 0,
         "d61_90": Decimal("300.3"), "d90_plus": 0},
        {"customer": "Beta LLC", "current_due": 0, "d1_30": 0, "d31_60": Decimal("50.05"), "d61_90": 0,
         "d90_plus": Decimal("600")}]
    # SYSDATE is the simulated clock: 20 days on, A1 is late and A2 moves to 31-60
    erp_harness.advance("20d")
    acme = items(erp, q)[0]
    assert (dec(acme["current_due"]), dec(acme["d1_30"]), dec(acme["d31_60"])) == (0, Decimal("100.1"), Decimal("200.2"))


def test_open_invoices_per_customer_group_by_having_is_exact(erp, books):
    q = ("SELECT t.entity, BUILTIN.DF(t.entity) AS customer, COUNT(*) AS n, SUM(t.foreignamountremaining) AS open_amount "
         "FROM transaction t WHERE t.type = 'CustInvc' AND t.foreignamountremaining > 0 "
         "GROUP BY t.entity, BUILTIN.DF(t.entity) HAVING SUM(t.foreignamountremaining) >= {} ORDER BY open_amount DESC")
    # 100.10 + 200.20 + 300.30 is 600.6000000000001 in floating point: the sum must be exact
    both = items(erp, q.format("600.60"))
    assert [(r["customer"], r["n"], dec(r["open_amount"])) for r in both] == \
        [("Beta LLC", 2, Decimal("650.05")), ("Acme Corp", 3, Decimal("600.6"))]
    assert isinstance(both[0]["entity"], str) and both[0]["entity"].isdigit()      # ids answer as strings
    assert [r["customer"] for r in items(erp, q.format("600.61"))] == ["Beta LLC"]
    total = items(erp, "SELECT SUM(foreigntotal) AS s, AVG(foreigntotal) AS a FROM transaction WHERE type = 'CustInvc'")
    assert dec(total[0]["s"]) == sum(Decimal(i[2]) for i in INVOICES) == Decimal("1660.66")
    assert abs(dec(total[0]["a"]) - Decimal("1660.66") / 6) < Decimal("1e-9")


def test_payments_in_the_last_30_days(erp, books):
    rows = items(erp, "SELECT t.tranid, t.foreigntotal, BUILTIN.DF(t.entity) AS customer, t.trandate FROM transaction t "
                      "WHERE t.type = 'CustPymt' AND t.trandate >= TRUNC(SYSDATE) - 30 ORDER BY t.trandate")
    assert rows == [{"tranid": "PYMT-000002", "foreigntotal": 10.01, "customer": "Gamma Inc", "trandate": "12/28/2025"}]
    # a string literal compared with a date is read as a date (ISO or the account's M/D/YYYY)
    assert len(items(erp, "SELECT id FROM transaction WHERE type = 'CustPymt' AND trandate >= '11/15/2025'")) == 2
    assert len(items(erp, "SELECT id FROM transaction WHERE type = 'CustPymt' AND trandate > '2025-11-15'")) == 1


def test_top_customers_fetch_first(erp, books):
    q = ("SELECT BUILTIN.DF(entity) AS customer, SUM(foreigntotal) AS billed FROM transaction WHERE type = 'CustInvc' "
         "GROUP BY BUILTIN.DF(entity) ORDER BY billed DESC FETCH FIRST 2 ROWS ONLY")
    assert [(r["customer"], dec(r["billed"])) for r in items(erp, q)] == \
        [("Beta LLC", Decimal("1050.05")), ("Acme Corp", Decimal("600.6"))]
    top1 = items(erp, "SELECT TOP 1 tranid FROM transaction WHERE type = 'CustInvc' ORDER BY foreigntotal DESC")
    assert top1 == [{"tranid": "INV-000005"}]


def test_customers_without_invoices_exists_and_in_subqueries(erp, books):
    not_exists = items(erp, "SELECT c.companyname FROM customer c WHERE NOT EXISTS (SELECT 1 FROM transaction t "
                            "WHERE t.entity = c.id AND t.type = 'CustInvc') ORDER BY c.companyname")
    not_in = items(erp, "SELECT companyname FROM customer WHERE id NOT IN "
                        "(SELECT entity FROM transaction WHERE type = 'CustInvc')")
    assert not_exists == not_in == [{"companyname": "Delta Co"}]
    scalar = items(erp, "SELECT c.companyname, (SELECT COUNT(*) FROM transaction t WHERE t.entity = c.id "
                        "AND t.type = 'CustInvc') AS invoices FROM customer c ORDER BY c.companyname")
    assert [(r["companyname"], r["invoices"]) for r in scalar] == \
        [("Acme Corp", 3), ("Beta LLC", 2), ("Delta Co", 0), ("Gamma Inc", 1)]


def test_union_and_union_all(erp, books):
    rows = items(erp, "SELECT tranid, 'invoice' AS kind FROM transaction WHERE type = 'CustInvc' AND externalid IS NULL "
                      "AND entity IN (SELECT id FROM customer WHERE externalid = 'ACC-3') "
                      "UNION ALL SELECT tranid, 'payment' FROM transaction WHERE type = 'CustPymt' ORDER BY 1")
    assert rows == [{"tranid": "INV-000006", "kind": "invoice"}, {"tranid": "PYMT-000001", "kind": "payment"},
                    {"tranid": "PYMT-000002", "kind": "payment"}]
    who = items(erp, "SELECT entity FROM transaction WHERE type = 'CustInvc' "
                     "UNION SELECT entity FROM transaction WHERE type = 'CustPymt' ORDER BY entity")
    assert len(who) == 3 and all(isinstance(r["entity"], str) for r in who)


def test_rownum_paging_and_rest_paging(erp, books):
    inner = "SELECT tranid FROM transaction WHERE type = 'CustInvc' ORDER BY tranid"
    q = f"SELECT * FROM (SELECT ROWNUM AS rn, x.* FROM ({inner}) x) WHERE rn BETWEEN 3 AND 4"
    assert items(erp, q) == [{"rn": 3, "tranid": "INV-000003"}, {"rn": 4, "tranid": "INV-000004"}]
    assert [r["tranid"] for r in items(erp, "SELECT tranid FROM transaction WHERE type = 'CustInvc' "
                                            "AND ROWNUM <= 2")] == ["INV-000001", "INV-000002"]
    page = erp.sql(inner, limit=4, offset=4).json()
    assert (page["count"], page["hasMore"], page["totalResults"]) == (2, False, 6)
    assert [i["tranid"] for i in page["items"]] == ["INV-000005", "INV-000006"]


def test_from_subquery_and_date_functions(erp, books):
    rows = items(erp, "SELECT s.customer, s.n, s.avg_total FROM (SELECT BUILTIN.DF(entity) AS customer, COUNT(*) AS n, "
                      "AVG(foreigntotal) AS avg_total FROM transaction WHERE type = 'CustInvc' "
                      "GROUP BY BUILTIN.DF(entity)) s WHERE s.n >= 2 ORDER BY s.avg_total DESC")
    assert [(r["customer"], r["n"], dec(r["avg_total"])) for r in rows] == \
        [("Beta LLC", 2, Decimal("525.025")), ("Acme Corp", 3, Decimal("200.2"))]
    late = items(erp, "SELECT tranid, TO_CHAR(ADD_MONTHS(duedate, 1), 'YYYY-MM-DD') AS next_due, "
                      "TO_CHAR(TRUNC(duedate, 'MM'), 'YYYY-MM') AS month, duedate FROM transaction "
                      "WHERE type = 'CustInvc' AND duedate < ADD_MONTHS(TRUNC(SYSDATE, 'MM'), -1) ORDER BY duedate")
    assert late == [{"tranid": "INV-000005", "next_due": "2025-10-01", "month": "2025-09", "duedate": "9/1/2025"},
                    {"tranid": "INV-000003", "next_due": "2025-12-01", "month": "2025-11", "duedate": "11/1/2025"}]
    ends = items(erp, "SELECT TO_CHAR(ADD_MONTHS(TO_DATE('2025-11-30', 'YYYY-MM-DD'), 1), 'YYYY-MM-DD') AS a, "
                      "TO_CHAR(ADD_MONTHS(TO_DATE('01/31/2026', 'MM/DD/YYYY'), 1), 'YYYY-MM-DD') AS b, "
                      "TO_CHAR(SYSDATE, 'YYYY-MM-DD HH24:MI:SS') AS now FROM customer WHERE externalid = 'ACC-1'")
    assert ends == [{"a": "2025-12-31", "b": "2026-02-28", "now": "2026-01-05 09:00:00"}]


def test_string_and_null_functions(erp, books):
    rows = items(erp, "SELECT UPPER(c.companyname) AS up, LOWER(c.externalid) AS low, SUBSTR(c.companyname, 1, 4) AS head, "
                      "INSTR(c.companyname, ' ') AS sp, LENGTH(c.companyname) AS len, "
                      "c.externalid || '/' || c.email || c.companyname AS label, NVL(c.email, 'none') AS email, "
                      "NVL2(c.email, 'has', 'none') AS flag, DECODE(c.externalid, 'ACC-1', 'first', 'other') AS d, "
                      "COALESCE(c.email, c.externalid) AS co, c.email FROM customer c WHERE c.companyname LIKE 'Acme%'")
    assert rows == [{"up": "ACME CORP", "low": "acc-1", "head": "Acme", "sp": 5, "len": 9, "label": "ACC-1/Acme Corp",
                     "email": "none", "flag": "none", "d": "first", "co": "ACC-1"}]          # NULL columns left out
    assert items(erp, "SELECT id FROM customer WHERE companyname LIKE 'acme%'") == []     # LIKE is case-sensitive
    cons = items(erp, "SELECT BUILTIN.CONSOLIDATE(t.foreigntotal, 'LEDGER', 'DEFAULT', 'DEFAULT', 1, 1, 'DEFAULT') "
                      "AS amount, t.foreigntotal FROM transaction t WHERE t.tranid = 'INV-000001'")
    assert cons == [{"amount": 100.1, "foreigntotal": 100.1}]


def test_outer_joins_and_oracle_join_marks(erp, books):
    left = items(erp, "SELECT c.companyname, t.tranid FROM customer c LEFT JOIN transaction t ON t.entity = c.id "
                      "AND t.type = 'CustPymt' ORDER BY c.companyname")
    marks = items(erp, "SELECT c.companyname, t.tranid FROM customer c, transaction t WHERE t.entity(+) = c.id "
                       "AND t.type(+) = 'CustPymt' ORDER BY c.companyname")
    right = items(erp, "SELECT c.companyname, t.tranid FROM transaction t RIGHT JOIN customer c ON t.entity = c.id "
                       "AND t.type = 'CustPymt' ORDER BY c.companyname")
    expected = [{"companyname": "Acme Corp"}, {"companyname": "Beta LLC", "tranid": "PYMT-000001"},
                {"companyname": "Delta Co"}, {"companyname": "Gamma Inc", "tranid": "PYMT-000002"}]
    assert left == marks == right == expected


def test_mirror_rebuilds_only_after_writes(erp_harness, erp, books):
    state = erp_harness.apps["erp"].extensions["erp_state"]
    q = "SELECT COUNT(*) AS n FROM customer"
    assert items(erp, q) == [{"n": 4}]
    built = mirror_of(state).rebuilds
    assert items(erp, q) == [{"n": 4}] and items(erp, "SELECT id FROM customer WHERE id = 100") == [{"id": "100"}]
    assert mirror_of(state).rebuilds == built                  # no write in between: nothing rebuilt
    erp.customer("ACC-5", "Epsilon")
    assert items(erp, q) == [{"n": 5}]                          # a write is seen by the next query
    assert mirror_of(state).rebuilds == built + 1               # and only the table the query reads is rebuilt
    erp.control.reset()
    assert items(erp, q) == [{"n": 0}]


def test_refusals_in_netsuite_shape(erp, books):
    for q, why in (("SELECT id FROM transaction WHERE", "Invalid or unsupported search"),
                   ("SELECT nosuch FROM customer", "Unknown identifier"),
                   ("SELECT id FROM customers", "Record 'customers' was not found"),
                   ("SELECT id FROM transaction WHERE ROWNUM > 1", "ROWNUM"),
                   ("SELECT id FROM transaction WHERE trandate > TO_DATE('2026-02-30', 'YYYY-MM-DD')", "Invalid date"),
                   ("SELECT load_extension('x') FROM customer", "Unknown function LOAD_EXTENSION")):
        r = erp.sql(q)
        assert r.status_code == 400 and error_code(r) == "INVALID_PARAMETER", (q, r.text)
        assert why in r.json()["o:errorDetails"][0]["detail"], (q, r.text)
