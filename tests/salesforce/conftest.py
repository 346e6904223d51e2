from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

CREDS = dict(username="integration@o2c.test", password="o2c-password", security_token="O2CTOKEN")


@pytest.fixture
def sf(harness):
    return Salesforce(**CREDS)


@pytest.fixture
def org(harness):
    return harness.apps["salesforce"].extensions["salesforce"]


@pytest.fixture
def ctl(harness):
    return harness.control("salesforce")


def make_order(sf, account_key="ACME-IRVINE", skus=(("HW-ROUTER", 2),), activate=False):
    acct = sf.query(f"SELECT Id FROM Account WHERE Customer_Key__c = '{account_key}'")["records"][0]["Id"]
    book = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    order = sf.Order.create({"AccountId": acct, "Pricebook2Id": book, "EffectiveDate": "2026-01-05",
                             "Status": "Draft"})["id"]
    for sku, qty in skus:
        pbe = sf.query(f"SELECT Id, UnitPrice FROM PricebookEntry WHERE ProductCode = '{sku}' "
                       f"AND Pricebook2Id = '{book}'")["records"][0]
        sf.OrderItem.create({"OrderId": order, "PricebookEntryId": pbe["Id"], "Quantity": qty,
                             "UnitPrice": pbe["UnitPrice"]})
    if activate:
        sf.Order.update(order, {"Status": "Activated"})
    return order, acct
