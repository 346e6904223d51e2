"""SOQL's field indexes (soql/index.py) go stale per table: a write to another table leaves an index
built, a write (or its rollback) to the table itself is seen by the next query."""
from __future__ import annotations

import pytest

from simulators.salesforce.app import create_app

BY_KEY = "SELECT Id FROM Account WHERE Customer_Key__c = '{}'"


@pytest.fixture()
def org():
    return create_app().extensions["salesforce"]


def ids(org, soql: str) -> list[str]:
    with org.db.transaction():
        records, _ = org.engine.run(soql)
    return [r["Id"] for r in records]


def built(org):
    return org.engine.indexes._built[("Account", "Customer_Key__c")][3]


def test_a_write_to_another_table_leaves_the_index_built(org):
    acme = ids(org, BY_KEY.format("ACME-IRVINE"))
    assert len(acme) == 1
    index = built(org)
    with org.db.transaction():
        org.db.create("Contact", {"LastName": "Other", "AccountId": acme[0]})
    assert ids(org, BY_KEY.format("ACME-IRVINE")) == acme
    assert built(org) is index   # not rebuilt


def test_a_write_and_a_rollback_to_the_table_are_seen(org):
    acme = ids(org, BY_KEY.format("ACME-IRVINE"))
    index = built(org)
    with org.db.transaction():
        org.db.update("Account", acme[0], {"Customer_Key__c": "ACME-RENAMED"})
    assert ids(org, BY_KEY.format("ACME-RENAMED")) == acme
    assert ids(org, BY_KEY.format("ACME-IRVINE")) == []
    assert built(org) is not index
    with pytest.raises(RuntimeError):
        with org.db.transaction():
            org.db.update("Account", acme[0], {"Customer_Key__c": "ACME-ROLLED-BACK"})
            assert ids(org, BY_KEY.format("ACME-ROLLED-BACK")) == acme
            raise RuntimeError("undo the request")
    assert ids(org, BY_KEY.format("ACME-ROLLED-BACK")) == []
    assert ids(org, BY_KEY.format("ACME-RENAMED")) == acme
