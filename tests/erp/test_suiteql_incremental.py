"""The SuiteQL mirror keeps its record-by-record tables current by replacing only the rows of the
records changed since the last query: after every kind of write the tables must hold exactly what a
full build would, in the same order, and the queries answer as before. A repeated query text reuses
its rewritten SQL while the tables' columns (and, with SYSDATE, the simulated now) are the same."""
from __future__ import annotations

from datetime import date, timedelta

from simulators.erp.suiteql.mirror import mirror_of
from simulators.erp.suiteql.tables import TABLES

from .test_suiteql_finance import items

EVERY = "SELECT COUNT(*) AS n FROM {t}"


def _query_all(erp) -> None:
    for t in TABLES:
        assert erp.sql(EVERY.format(t=t)).status_code == 200


def _assert_current(mirror) -> None:
    for t in TABLES:
        mirror.check(t)          # raises AssertionError if the table differs from a full build


def test_incremental_rows_equal_a_full_build_after_every_kind_of_write(erp_harness, erp):
    state = erp_harness.apps["erp"].extensions["erp_state"]
    mirror = mirror_of(state)
    erp.customer("ACC-1", "Acme Corp")
    erp.customer("ACC-2", "Beta LLC")
    _query_all(erp)
    saas = {"item": {"externalId": "SAAS-PLATFORM-12"}, "quantity": 1, "rate": 12000, "revRecStartDate": "2025-01-01"}

    def sell(n: int) -> str:
        so = erp.order(ext=f"SO-{n}", cust="ACC-1", lines=[saas], tranDate="2025-01-01")
        inv = erp.invoice(so, {"tranDate": "2025-01-01"})
        erp.create("/customerPayment", {"customer": {"externalId": "ACC-1"}, "payment": 500,
                                        "apply": {"items": [{"doc": {"id": inv}, "apply": True, "amount": 500}]}})
        return inv

    sell(1)                  # the first rows of a kind may bring display columns: those tables are built afresh
    _query_all(erp)
    _assert_current(mirror)
    built, updated = mirror.rebuilds, mirror.updates
    inv = sell(2)            # the same kinds of writes again: only the changed records' rows are replaced
    _query_all(erp)
    _assert_current(mirror)
    assert mirror.rebuilds == built + 3            # the small tables (customer, item, period), read again
    assert mirror.updates > updated
    erp.control.post("/erp/periods/close", {"period": "2025-02"})      # journal entries, plan lines recognized
    so2 = erp.order(ext="SO-B", cust="ACC-2", lines=[{"item": {"externalId": "HW-ROUTER"}, "quantity": 2,
                                                      "rate": "99.50", "custcol_ava_taxamount": 0}])
    inv2 = erp.invoice(so2)
    assert erp.patch(f"/invoice/{inv2}", {"memo": "patched"}).status_code == 204
    _query_all(erp)
    _assert_current(mirror)
    assert items(erp, f"SELECT memo FROM transaction WHERE id = {inv2}") == [{"memo": "patched"}]

    # a custom field the table lacks: that table is built afresh, and still equals a full build
    assert erp.patch(f"/invoice/{inv2}", {"custbody_new_flag": "X"}).status_code == 204
    assert items(erp, f"SELECT custbody_new_flag FROM transaction WHERE id = {inv2}") == [{"custbody_new_flag": "X"}]
    _query_all(erp)
    _assert_current(mirror)

    # a deleted invoice's rows go (and its sales order's status row is replaced)
    assert erp.http.delete(erp.url(f"/invoice/{inv2}")).status_code == 204
    assert items(erp, f"SELECT id FROM transaction WHERE id = {inv2}") == []
    _query_all(erp)
    _assert_current(mirror)

    # a customer renamed: other tables show the name (BUILTIN.DF), so they follow
    assert erp.patch("/customer/eid:ACC-1", {"companyName": "Acme Renamed"}).status_code == 204
    assert items(erp, f"SELECT BUILTIN.DF(entity) AS who FROM transaction WHERE id = {inv}") == [
        {"who": "Acme Renamed"}]
    _query_all(erp)
    _assert_current(mirror)


def test_rows_keep_the_order_of_a_full_build(erp_harness, erp):
    """No ORDER BY: rows come in the order of a full build (record type, then creation), even when an
    older record's rows were replaced after newer ones were added."""
    state = erp_harness.apps["erp"].extensions["erp_state"]
    erp.customer("ACC-1", "Acme Corp")
    line = [{"item": {"externalId": "HW-ROUTER"}, "quantity": 1, "rate": 10, "custcol_ava_taxamount": 0}]
    sos = [erp.order(ext=f"SO-{i}", lines=line) for i in range(3)]
    q = "SELECT id, memo FROM transaction"          # no index covers it: SQLite reads the table in rowid order
    assert [r["id"] for r in items(erp, q)] == sos
    inv = erp.invoice(sos[0])                       # the first order's row is replaced, an invoice comes
    later = erp.order(ext="SO-9", lines=line)       # a newer order: still before every invoice
    full_build = [r["id"] for r in TABLES["transaction"](state)]
    assert [r["id"] for r in items(erp, q)] == full_build
    assert full_build[:4] == sos + [later] and inv in full_build[4:]
    mirror_of(state).check("transaction")


def test_a_repeated_query_reuses_its_rewrite_but_sysdate_follows_the_clock(erp_harness, erp):
    state = erp_harness.apps["erp"].extensions["erp_state"]
    erp.customer("ACC-1", "Acme Corp")
    plans = mirror_of(state).plans
    q = "SELECT companyname FROM customer WHERE externalid = 'ACC-1'"
    assert items(erp, q) == [{"companyname": "Acme Corp"}]
    kept = plans.get(q, mirror_of(state).rebuilds, "any time")
    assert kept is not None                                     # kept, whatever the time: no SYSDATE in it
    assert items(erp, q) == [{"companyname": "Acme Corp"}]
    assert erp.patch("/customer/eid:ACC-1", {"companyName": "Acme Two"}).status_code == 204
    assert items(erp, q) == [{"companyname": "Acme Two"}]      # the data is read afresh, only the SQL is kept
    today = "SELECT TO_CHAR(SYSDATE, 'YYYY-MM-DD') AS d FROM customer"
    first = items(erp, today)[0]["d"]
    erp_harness.advance("2d")
    second = items(erp, today)[0]["d"]
    assert date.fromisoformat(second) - date.fromisoformat(first) == timedelta(days=2)
