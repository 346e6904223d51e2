"""Standard Sales Cloud objects (key prefixes are Salesforce's own)."""
from __future__ import annotations

from . import Field, SObject, make, ref

ADDRESS = ("Street", "City", "State", "PostalCode", "Country")
# Account.Industry's standard picklist values (Salesforce's default Industry picklist)
INDUSTRIES = ("Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
              "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental",
              "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
              "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
              "Telecommunications", "Transportation", "Utilities", "Other")


def address(prefix: str) -> list[Field]:
    return [Field(prefix + part, "textarea" if part == "Street" else "string",
                  length=255 if part == "Street" else 80) for part in ADDRESS]


def standard_objects() -> list[SObject]:
    profile = make("Profile", "00e", [Field("Description", length=255)], owner=False, createable=False,
                   updateable=False, deletable=False, change_events=False)
    user = make("User", "005", [
        Field("Username", required=True, unique=True, length=80), Field("Email", "email", required=True),
        Field("IsActive", "boolean", default=True), Field("Alias", length=8),
        ref("ProfileId", "Profile", child="Users", createable=False, updateable=False),
        # portal (community) users belong to a Contact, and through it to an Account
        ref("ContactId", "Contact", child="Users", createable=False, updateable=False),
        Field("AccountId", "reference", reference_to=("Account",), createable=False, updateable=False),
    ], owner=False, createable=False, deletable=False, change_events=False)
    account = make("Account", "001", [
        *address("Billing"), *address("Shipping"),
        Field("Phone", "phone", length=40), Field("Type", "picklist", picklist=("Customer", "Prospect", "Partner")),
        Field("Customer_Key__c", external_id=True, unique=True, length=80),
        Field("ERP_Customer_Id__c", external_id=True, length=80),
        Field("Stripe_Customer_Id__c", length=80),
        Field("Tax_Exemption_No__c", length=80),
        Field("Entity_Use_Code__c", length=10),
        Field("Email__c", "email", length=80),
        ref("ParentId", "Account", child="ChildAccounts", rel="Parent"),
        Field("AccountNumber", length=40), Field("Website", "url", length=255),
        Field("Industry", "picklist", picklist=INDUSTRIES), Field("Description", "textarea", length=32000),
        Field("NumberOfEmployees", "int"), Field("AnnualRevenue", "currency"),
    ], name_field=Field("Name", required=True, length=255))
    contact = make("Contact", "003", [
        ref("AccountId", "Account", child="Contacts"),
        Field("FirstName", length=40), Field("LastName", required=True, length=80),
        Field("Email", "email", length=80), Field("Phone", "phone", length=40), Field("Title", length=128),
    ], name_field=Field("Name", createable=False, updateable=False, calculated=True, length=121))
    product = make("Product2", "01t", [
        Field("ProductCode", length=255), Field("Description", "textarea"),
        Field("IsActive", "boolean", default=False), Field("Family", "picklist", picklist=("Hardware", "Software", "Services")),
        Field("Tax_Code__c", length=25), Field("Revenue_Method__c", length=40),
        Field("Term_Months__c", "double", scale=0), Field("SSP__c", "currency"),
    ], owner=False)
    pricebook = make("Pricebook2", "01s", [
        Field("IsActive", "boolean", default=False), Field("IsStandard", "boolean", createable=False, updateable=False,
                                                              default=False),
        Field("Description", "textarea"),
    ], owner=False)
    pbe = make("PricebookEntry", "01u", [
        ref("Pricebook2Id", "Pricebook2", child="PricebookEntries", required=True, updateable=False),
        ref("Product2Id", "Product2", child="PricebookEntries", required=True, updateable=False),
        Field("UnitPrice", "currency", required=True), Field("IsActive", "boolean", default=False),
        Field("UseStandardPrice", "boolean", default=False),
        Field("ProductCode", createable=False, updateable=False, calculated=True),
    ], name_field=Field("Name", createable=False, updateable=False, calculated=True), owner=False)
    order = make("Order", "801", [
        ref("AccountId", "Account", child="Orders", required=True),
        ref("Pricebook2Id", "Pricebook2", child="Orders"),
        Field("EffectiveDate", "date", required=True), Field("EndDate", "date"),
        Field("Status", "picklist", required=True, picklist=("Draft", "Activated", "Cancelled"), restricted=True,
              default="Draft"),
        Field("StatusCode", "picklist", picklist=("Draft", "Activated", "Cancelled"), createable=False,
              updateable=False),
        Field("TotalAmount", "currency", createable=False, updateable=False, calculated=True),
        Field("OrderNumber", createable=False, updateable=False, auto_number=True, length=30),
        Field("Description", "textarea"), Field("PoNumber", length=80),
        Field("ActivatedDate", "datetime", createable=False, updateable=False),
        *address("Shipping"), *address("Billing"),
        Field("Order_Key__c", external_id=True, unique=True, length=80),
        Field("ERP_Sales_Order_Id__c", external_id=True, length=80),
        Field("Tax_Status__c", "picklist", picklist=("Not Calculated", "Estimated", "Committed", "Error")),
        Field("Estimated_Tax__c", "currency"),
        Field("Billing_Status__c", "picklist", picklist=("Not Billed", "Invoiced", "Paid", "Partially Paid",
                                                         "Cancelled")),
        Field("Type", "picklist", picklist=("New", "Renewal", "Amendment", "Upsell")),
        ref("ContractId", "Contract", child="Orders"),
        ref("BillToContactId", "Contact", child="BillToOrders", rel="BillToContact"),
        ref("ShipToContactId", "Contact", child="ShipToOrders", rel="ShipToContact"),
        ref("OriginalOrderId", "Order", child="Orders1", rel="OriginalOrder"),
        Field("IsReductionOrder", "boolean", default=False, updateable=False),
    ], name_field=Field("Name", length=80), auto_number_format="{0:08d}", label_plural="Orders")
    contract = make("Contract", "800", [
        ref("AccountId", "Account", child="Contracts", required=True),
        Field("Status", "picklist", required=True, picklist=("Draft", "In Approval Process", "Activated"),
              restricted=True, default="Draft"),
        Field("StartDate", "date"), Field("EndDate", "date", createable=False, updateable=False, calculated=True),
        Field("ContractTerm", "int"), Field("Description", "textarea", length=32000),
        Field("ContractNumber", createable=False, updateable=False, auto_number=True, length=30),
        *address("Billing"),
    ], name_field=None, auto_number_format="{0:08d}")
    organization = make("Organization", "00D", [
        Field("IsSandbox", "boolean", default=False), Field("OrganizationType", length=40),
        Field("InstanceName", length=5), Field("NamespacePrefix", length=15),
        Field("DefaultLocaleSidKey", length=40), Field("LanguageLocaleKey", length=40),
        Field("TimeZoneSidKey", length=40), Field("DefaultCurrencyIsoCode", length=3),
        Field("FiscalYearStartMonth", "int"), Field("UsesStartDateAsFiscalYearName", "boolean", default=False),
        Field("TrialExpirationDate", "datetime"), *address(""),
    ], owner=False, createable=False, updateable=False, deletable=False, change_events=False)
    order_item = make("OrderItem", "802", [
        ref("OrderId", "Order", child="OrderItems", required=True, updateable=False),
        ref("PricebookEntryId", "PricebookEntry", required=True, updateable=False),
        ref("Product2Id", "Product2", createable=False, updateable=False),
        Field("Quantity", "double", required=True), Field("UnitPrice", "currency", required=True),
        Field("ListPrice", "currency", createable=False, updateable=False),
        Field("TotalPrice", "currency", createable=False, updateable=False, calculated=True),
        Field("ServiceDate", "date"), Field("EndDate", "date"), Field("Description", length=255),
        Field("OrderItemNumber", createable=False, updateable=False, auto_number=True),
    ], name_field=None, owner=False, auto_number_format="{0:010d}", label="Order Product")
    task = make("Task", "00T", [
        Field("Subject", length=255), Field("Description", "textarea", length=32000),
        Field("Status", "picklist", required=True, picklist=("Not Started", "In Progress", "Completed"),
              default="Not Started"),
        Field("Priority", "picklist", required=True, picklist=("High", "Normal", "Low"), default="Normal"),
        Field("ActivityDate", "date"),
        ref("WhatId", "Account", rel="What"), ref("WhoId", "Contact", rel="Who"),
        Field("Type", "picklist", picklist=("Call", "Email", "Collections", "Other")),
        Field("Dunning_Stage__c", length=40),
    ], name_field=None)
    # WhatId is polymorphic in Salesforce; here it accepts any id and resolves by key prefix.
    task.fields["WhatId"].reference_to = ("Account", "Order", "blng__Invoice__c", "Opportunity")
    email = make("EmailMessage", "02s", [
        Field("RelatedToId", "reference", reference_to=("Account", "Order", "blng__Invoice__c"),
              relationship_name="RelatedTo"),
        Field("Subject", length=3000), Field("TextBody", "textarea", length=32000),
        Field("HtmlBody", "textarea", length=32000), Field("ToAddress", length=4000),
        Field("FromAddress", length=1000), Field("FromName", length=1000),
        Field("Status", "picklist", picklist=("0", "1", "2", "3", "4", "5"), default="3"),
        Field("MessageDate", "datetime"), Field("Incoming", "boolean", default=False),
        Field("Dunning_Stage__c", length=40),
        Field("Invoice_Payment_Status_At_Send__c", length=40),
        Field("Invoice_Balance_At_Send__c", "currency"),
    ], name_field=None, owner=False)
    case = make("Case", "500", [
        ref("AccountId", "Account", child="Cases"), ref("ContactId", "Contact", child="Cases"),
        Field("Subject", length=255), Field("Description", "textarea", length=32000),
        Field("Status", "picklist", picklist=("New", "Working", "Escalated", "Closed"), default="New"),
        Field("Origin", "picklist", picklist=("Phone", "Email", "Web", "Customer Portal")),
        Field("Type", "picklist", picklist=("Billing Question", "Invoice Dispute", "Extend Due Date", "Other")),
        Field("Priority", "picklist", picklist=("High", "Medium", "Low"), default="Medium"),
        Field("SuppliedEmail", "email", length=80),
        ref("Invoice__c", "blng__Invoice__c", child="Cases__r"),
        Field("CaseNumber", createable=False, updateable=False, auto_number=True, length=30),
    ], name_field=None, auto_number_format="{0:08d}", label="Case")
    return [profile, user, account, contact, product, pricebook, pbe, order, order_item, task, email, case,
            contract, organization]
