"""The order-to-cash schema at parity with a real org's describe: the Organization row, the
Account/Order/Contract fields integrations read, and DescribeSObjectResult / DescribeFieldResult keys."""
from __future__ import annotations

# DescribeFieldResult and DescribeSObjectResult keys of the REST describe (Salesforce REST API
# Developer Guide, sObject Describe; the keys a real org's describe carries)
FIELD_KEYS = {"aggregatable", "aiPredictionField", "autoNumber", "byteLength", "calculated", "calculatedFormula",
              "cascadeDelete", "caseSensitive", "compoundFieldName", "controllerName", "createable", "custom",
              "defaultValue", "defaultValueFormula", "defaultedOnCreate", "dependentPicklist",
              "deprecatedAndHidden", "digits", "displayLocationInDecimal", "encrypted", "externalId",
              "extraTypeInfo", "filterable", "filteredLookupInfo", "formulaTreatNullNumberAsZero", "groupable",
              "highScaleNumber", "htmlFormatted", "idLookup", "inlineHelpText", "label", "length", "mask",
              "maskType", "name", "nameField", "namePointing", "nillable", "permissionable", "picklistValues",
              "polymorphicForeignKey", "precision", "queryByDistance", "referenceTargetField", "referenceTo",
              "relationshipName", "relationshipOrder", "restrictedDelete", "restrictedPicklist", "scale",
              "searchPrefilterable", "soapType", "sortable", "type", "unique", "updateable",
              "writeRequiresMasterRead"}
OBJECT_KEYS = {"actionOverrides", "activateable", "associateEntityType", "associateParentEntity",
               "childRelationships", "compactLayoutable", "createable", "custom", "customSetting",
               "deepCloneable", "defaultImplementation", "deletable", "deprecatedAndHidden", "extendedBy",
               "extendsInterfaces", "feedEnabled", "fields", "hasSubtypes", "implementedBy",
               "implementsInterfaces", "isInterface", "isSubtype", "keyPrefix", "label", "labelPlural",
               "layoutable", "listviewable", "lookupLayoutable", "mergeable", "mruEnabled", "name",
               "namedLayoutInfos", "networkScopeFieldName", "queryable", "recordTypeInfos", "replicateable",
               "retrieveable", "searchLayoutable", "searchable", "sobjectDescribeOption", "supportedScopes",
               "triggerable", "undeletable", "updateable", "urls"}


def test_the_organization_row_answers_is_sandbox_and_carries_the_org_id(sf):
    assert sf.is_sandbox() is False
    org = sf.query("SELECT Id, Name, OrganizationType, FiscalYearStartMonth FROM Organization")["records"]
    assert len(org) == 1 and org[0]["Id"].startswith("00D") and org[0]["FiscalYearStartMonth"] == 1
    assert sf.session_id.startswith(org[0]["Id"][:15])


def test_describe_has_every_key_of_the_real_describe(sf):
    d = sf.Account.describe()
    assert OBJECT_KEYS <= set(d), OBJECT_KEYS - set(d)
    for f in d["fields"]:
        assert FIELD_KEYS <= set(f), (f["name"], FIELD_KEYS - set(f))
    names = {f["name"]: f for f in d["fields"]}
    assert {"ParentId", "Industry", "AccountNumber", "Website"} <= set(names)
    assert names["ParentId"]["referenceTo"] == ["Account"] and names["ParentId"]["relationshipName"] == "Parent"
    assert "ChildAccounts" in {r["relationshipName"] for r in d["childRelationships"]}


def test_orders_carry_contract_contacts_and_the_original_order(sf):
    order_fields = {f["name"] for f in sf.Order.describe()["fields"]}
    assert {"Type", "ContractId", "BillToContactId", "ShipToContactId", "OriginalOrderId",
            "IsReductionOrder"} <= order_fields
    acct = sf.Account.create({"Name": "Parent Holdings", "Industry": "Technology"})["id"]
    child = sf.Account.create({"Name": "Child Ops", "ParentId": acct})["id"]
    contract = sf.Contract.create({"AccountId": acct, "Status": "Draft", "StartDate": "2026-01-01",
                                   "ContractTerm": 12})["id"]
    rows = sf.query(f"SELECT Name, Parent.Name FROM Account WHERE Id = '{child}'")["records"]
    assert rows[0]["Parent"]["Name"] == "Parent Holdings"
    got = sf.query(f"SELECT ContractNumber, Account.Industry FROM Contract WHERE Id = '{contract}'")["records"][0]
    assert got["Account"]["Industry"] == "Technology" and got["ContractNumber"]
