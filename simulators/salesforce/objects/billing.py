"""Salesforce Billing (managed package ``blng__``) invoice mirror objects and the platform events
the org defines. Custom object key prefixes are org-specific in reality (a0x...); these are fixed
so ids are stable under a seed."""
from __future__ import annotations

from . import Field, SObject, make, ref

INVOICE_STATUS = ("Draft", "Posted", "Cancelled", "Rebilled")
PAYMENT_STATUS = ("Unpaid", "Partially Paid", "Paid", "Refunded")


def billing_objects() -> list[SObject]:
    invoice = make("blng__Invoice__c", "a0B", [
        ref("blng__Account__c", "Account", child="blng__AccountInvoices__r", required=True),
        ref("blng__Order__c", "Order", child="blng__OrderInvoices__r"),
        Field("blng__InvoiceDate__c", "date"), Field("blng__DueDate__c", "date"),
        Field("blng__InvoiceStatus__c", "picklist", picklist=INVOICE_STATUS, restricted=True, default="Draft"),
        Field("blng__PaymentStatus__c", "picklist", picklist=PAYMENT_STATUS, restricted=True, default="Unpaid"),
        Field("blng__Subtotal__c", "currency"), Field("blng__TaxAmount__c", "currency"),
        Field("blng__TotalAmount__c", "currency"), Field("blng__Balance__c", "currency"),
        Field("blng__Notes__c", "textarea"),
        # the committed AvaTax document's tax by jurisdiction, one "name|rate|tax" line each (the portal shows it)
        Field("Tax_Jurisdictions__c", "textarea", length=32768),
        Field("ERP_Invoice_Id__c", external_id=True, unique=True, length=80),
        Field("ERP_Document_Number__c", length=80),
        Field("AvaTax_Document_Code__c", length=80),
        Field("Stripe_Invoice_Id__c", length=80),
        Field("Hosted_Invoice_URL__c", "url"),
        Field("Paid_At__c", "datetime"),
        Field("Dispute_Status__c", "picklist", picklist=("Open", "Under Review", "Won", "Lost")),
        Field("On_Hold__c", "boolean", default=False),
        Field("Collections_Status__c", "picklist", picklist=("None", "In Dunning", "In Collections", "Resolved")),
        Field("Last_Dunning_Stage__c", length=40),
        Field("Source_System__c", "picklist", picklist=("ERP", "Salesforce", "Stripe")),
    ], name_field=Field("Name", createable=False, updateable=False, auto_number=True, length=80),
        auto_number_format="INV-{0:010d}", label="Invoice")
    line = make("blng__InvoiceLine__c", "a0C", [
        ref("blng__Invoice__c", "blng__Invoice__c", child="blng__InvoiceInvoiceLines__r", required=True,
            updateable=False),
        ref("blng__Product__c", "Product2"),
        Field("blng__Quantity__c", "double"), Field("blng__UnitPrice__c", "currency"),
        Field("blng__Subtotal__c", "currency"), Field("blng__TaxAmount__c", "currency"),
        Field("blng__TotalAmount__c", "currency"),
        Field("ERP_Line_Key__c", external_id=True, unique=True, length=120),
    ], name_field=Field("Name", length=80), owner=False, label="Invoice Line")
    payment = make("blng__Payment__c", "a0D", [
        ref("blng__Account__c", "Account", child="blng__AccountPayments__r", required=True),
        ref("blng__Invoice__c", "blng__Invoice__c", child="blng__Payments__r"),
        Field("blng__Amount__c", "currency", required=True),
        Field("blng__Status__c", "picklist", picklist=("Draft", "Posted", "Cancelled"), default="Posted"),
        Field("blng__PaymentDate__c", "date"),
        Field("Gateway_Charge_Id__c", external_id=True, unique=True, length=80),
        Field("Gateway_Event_Id__c", length=80),
    ], name_field=Field("Name", createable=False, updateable=False, auto_number=True, length=80),
        auto_number_format="P-{0:010d}", label="Payment")
    return [invoice, line, payment, *platform_events()]


def platform_events() -> list[SObject]:
    """Platform events (``__e``): publish-only, delivered on ``/event/<Name>``."""
    def event(name: str, fields: list[Field]) -> SObject:
        all_fields = [Field("ReplayId", createable=False, updateable=False),
                      Field("CreatedDate", "datetime", createable=False, updateable=False),
                      Field("CreatedById", "reference", reference_to=("User",), createable=False,
                            updateable=False), *fields]
        return SObject(name, "e00", {f.name: f for f in all_fields}, custom=True, event=True,
                       change_events=False, updateable=False, deletable=False, queryable=False)
    return [
        event("Payment_Received__e", [Field("Invoice_Id__c", length=80), Field("Amount__c", "currency"),
                                      Field("Gateway_Event_Id__c", length=80), Field("Paid_At__c", "datetime")]),
        event("Order_Activated__e", [Field("Order_Id__c", length=18), Field("Order_Key__c", length=80)]),
        event("Integration_Error__e", [Field("Source__c", length=80), Field("Message__c", "textarea"),
                                       Field("Record_Id__c", length=18)]),
    ]
