"""SOQL's field indexes (soql/index.py) are kept up to date from the database's log of written keys:
a write to another table leaves an index as it is, a write (or its rollback) to the table itself is
seen by the next query without a rebuild, and a log started afresh or a reset rebuilds it once.
The unique-value check and upserts by external id find their matches through the same index."""
from __future__ import annotations

import pytest

from simulators.salesforce import errors as E
from simulators.salesforce.app import create_app
from simulators.salesforce.state import records

BY_KEY = "SELECT Id FROM Account WHERE Customer_Key__c = '{}'"


@pytest.fixture()
def org():
    return create_app().extensions["salesforce"]


def ids(org, soql: str) -> list[str]:
    with org.db.transaction():
        records_, _ = org.engine.run(soql)
    return [r["Id"] for r in records_]


def built(org):
    return org.engine.indexes._built[("Account", "Customer_Key__c")].index


def test_a_write_to_another_table_leaves_the_index_as_it_is(org):
    acme = ids(org, BY_KEY.format("ACME-IRVINE"))
    assert len(acme) == 1
    index, snapshot = built(org), {k: dict(v) for k, v in built(org).items()}
    with org.db.transaction():
        org.db.create("Contact", {"LastName": "Other", "AccountId": acme[0]})
    assert ids(org, BY_KEY.format("ACME-IRVINE")) == acme
    assert built(org) is index and built(org) == snapshot


def test_a_write_and_a_rollback_to_the_table_are_seen_without_a_rebuild(org):
    acme = ids(org, BY_KEY.format("ACME-IRVINE"))
    index = built(org)
    with org.db.transaction():
        org.db.update("Account", acme[0], {"Customer_Key__c": "ACME-RENAMED"})
    assert ids(org, BY_KEY.format("ACME-RENAMED")) == acme
    assert ids(org, BY_KEY.format("ACME-IRVINE")) == []   # the stale entry is checked against the record
    with pytest.raises(RuntimeError):
        with org.db.transaction():
            org.db.update("Account", acme[0], {"Customer_Key__c": "ACME-ROLLED-BACK"})
            assert ids(org, BY_KEY.format("ACME-ROLLED-BACK")) == acme
            raise RuntimeError("undo the request")
    assert ids(org, BY_KEY.format("ACME-ROLLED-BACK")) == []
    assert ids(org, BY_KEY.format("ACME-RENAMED")) == acme
    created = org.db.create("Account", {"Name": "New", "Customer_Key__c": "NEW-ONE"})
    assert ids(org, BY_KEY.format("new-one")) == [created["Id"]]   # case-insensitive, as SOQL compares
    org.db.delete("Account", created["Id"])
    assert ids(org, BY_KEY.format("NEW-ONE")) == []
    assert built(org) is index   # caught up entry by entry, never rebuilt


def test_a_log_started_afresh_and_a_reset_rebuild_the_index_once(org, monkeypatch):
    monkeypatch.setattr(records, "TOUCHED_LOG_MAX", 3)
    acme = ids(org, BY_KEY.format("ACME-IRVINE"))
    index = built(org)
    for n in range(4):   # the fourth write starts a new log
        org.db.update("Account", acme[0], {"Customer_Key__c": f"K-{n}"})
    assert ids(org, BY_KEY.format("K-3")) == acme and ids(org, BY_KEY.format("K-2")) == []
    assert built(org) is not index
    org.sim.reset()
    assert ids(org, BY_KEY.format("K-3")) == []
    assert len(ids(org, BY_KEY.format("ACME-IRVINE"))) == 1


def test_unique_values_and_external_id_upserts_use_the_kept_index(org):
    org.db.create("Account", {"Name": "One", "Customer_Key__c": "DUP-KEY"})
    with pytest.raises(E.DuplicateValue):
        org.db.create("Account", {"Name": "Two", "Customer_Key__c": "dup-key"})
    rec, created = org.db.upsert("Account", "Customer_Key__c", "DUP-KEY", {"Name": "One renamed"})
    assert not created and rec["Name"] == "One renamed"
    org.db.update("Account", rec["Id"], {"Customer_Key__c": "MOVED"})
    again, created = org.db.upsert("Account", "Customer_Key__c", "DUP-KEY", {"Name": "Three"})
    assert created and again["Id"] != rec["Id"]
