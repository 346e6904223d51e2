"""Seed data created on every reset: the profiles and users (state/security.py), the standard price book, products and
their standard price book entries from the catalogue, accounts from the customers file
(``simulators.data``: packaged defaults, overridable). A scenario can create and activate an Order at once."""
from __future__ import annotations

from simulators import data

from .portal_users import seed_portal_users

ORIGIN = "com/salesforce/seed"


def seed(org) -> None:
    db = org.db
    with db.transaction(origin=ORIGIN):
        # profiles, then the users: integration@o2c.test (the org's default user) and finance@o2c.test
        org.security.seed(lambda sobject, values: _system_insert(org, sobject, values))
        db.user_id = org.security.user("integration@o2c.test")["id"]
        seed_organization(org)
        std = _system_insert(org, "Pricebook2", {"Name": "Standard Price Book", "IsActive": True,
                                                 "IsStandard": True})
        org.standard_pricebook_id = std["Id"]
        catalog = data.load("catalog")
        for p in catalog["products"]:
            rev = p.get("revenue") or {}
            prod = db.create("Product2", {"Name": p["name"], "ProductCode": p["sku"], "IsActive": True,
                                          "Tax_Code__c": p.get("tax_code"), "Revenue_Method__c": rev.get("method"),
                                          "Term_Months__c": rev.get("term_months"), "SSP__c": p.get("ssp")})
            db.create("PricebookEntry", {"Pricebook2Id": std["Id"], "Product2Id": prod["Id"],
                                         "UnitPrice": p["price"], "IsActive": True})
        customers = data.load("customers")
        for c in customers["customers"]:
            a = c.get("address") or {}
            db.create("Account", {
                "Name": c["name"], "Customer_Key__c": c["key"], "Email__c": c.get("email"),
                "BillingStreet": a.get("line1"), "BillingCity": a.get("city"), "BillingState": a.get("region") or None,
                "BillingPostalCode": a.get("postalCode"), "BillingCountry": a.get("country"),
                "ShippingStreet": a.get("line1"), "ShippingCity": a.get("city"),
                "ShippingState": a.get("region") or None, "ShippingPostalCode": a.get("postalCode"),
                "ShippingCountry": a.get("country"), "Tax_Exemption_No__c": c.get("exemption_no"),
                "Entity_Use_Code__c": c.get("entity_use_code"), "Type": "Customer"})
        # a Contact and a customer-portal user per customer account (state/portal_users.py)
        seed_portal_users(org, lambda sobject, values: _system_insert(org, sobject, values))


def seed_organization(org) -> None:
    """The one Organization row (what ``sf.is_sandbox()`` and setup queries read); its Id is the org id
    sessions carry. A Developer Edition org, not a sandbox, fiscal year from January."""
    from .auth import ORG_ID
    rec = _system_insert(org, "Organization", {
        "Name": "O2C Harness", "IsSandbox": False, "OrganizationType": "Developer Edition", "InstanceName": "O2C",
        "DefaultLocaleSidKey": "en_US", "LanguageLocaleKey": "en_US", "TimeZoneSidKey": "America/Los_Angeles",
        "DefaultCurrencyIsoCode": "USD", "FiscalYearStartMonth": 1, "UsesStartDateAsFiscalYearName": False,
        "Country": "US"})
    table = org.db.table("Organization")
    table.pop(rec["Id"][:15])
    rec["Id"] = ORG_ID
    table[ORG_ID[:15]] = rec


def _system_insert(org, sobject: str, values: dict):
    """Objects the API cannot create (User, the standard price book) are inserted as setup data."""
    db = org.db
    obj = org.registry.objects[sobject]
    now = org.sim.clock.now()
    rec = {f.name: f.default for f in obj.fields.values()}
    rec.update(values)
    rec.update({"Id": org.sim.ids.salesforce(obj.key_prefix), "IsDeleted": False, "CreatedDate": now,
                "LastModifiedDate": now, "SystemModstamp": now})
    db.table(sobject)[rec["Id"][:15]] = rec
    db._changed(sobject, rec["Id"][:15])
    return rec
