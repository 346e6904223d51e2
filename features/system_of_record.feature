Feature: Billing system of record
  As the controller
  I want every activated order billed exactly once, in the system we chose as the billing system of record
  So that revenue, receivables and what the customer sees are one and the same invoice

  Rule: With the ERP as system of record, the ERP bills and Salesforce shows a mirror

    Background:
      Given the integration learns of payments by webhook
      And the ERP is the billing system of record

    Scenario: An activated order becomes exactly one ERP invoice and one mirror in Salesforce
      Given customer "WINDY-CHICAGO" orders:
        | product   | quantity | unit price |
        | HW-ROUTER | 2        | 100.00     |
        | FREIGHT   | 1        | 25.00      |
      When the order is activated
      Then the invoice is issued
      And the ERP holds exactly 1 invoice for the order
      And Salesforce holds exactly 1 invoice mirror for the order, sourced from the ERP
      And the mirror carries the ERP invoice number and these amounts:
        | subtotal | tax   | total  |
        | 225.00   | 20.50 | 245.50 |
      And the books reconcile with 1 order, 1 invoice and 0 payments

    Scenario: Billing the same order a second time is refused by the ERP (duplicate invoice caught)
      Given customer "ACME-IRVINE" orders 1 "HW-ROUTER"
      And the order is activated
      And the invoice has been issued
      When someone bills the same sales order again in the ERP
      Then the ERP refuses the second invoice as already billed
      And the ERP holds exactly 1 invoice for the order
      And the books reconcile with 1 order, 1 invoice and 0 payments

    Scenario: The activation notice arrives twice and still only one invoice is raised
      Given customer "BIGAPPLE-NYC" orders 1 "HW-ROUTER"
      And Salesforce sends every order notification twice
      When the order is activated
      And 10 minutes pass
      Then the invoice is issued
      And the ERP holds exactly 1 invoice for the order
      And Salesforce holds exactly 1 invoice mirror for the order, sourced from the ERP
      And the books reconcile

    Scenario: The invoice mirror in Salesforce is read-only for finance users
      Given customer "WINDY-CHICAGO" orders 2 "HW-ROUTER"
      And the order is activated
      And the invoice has been issued
      When a finance user tries to change the invoice total in Salesforce to 1.00
      Then Salesforce refuses the change because the field is read-only for the finance profile
      And the mirror carries the ERP invoice number and these amounts:
        | subtotal | tax   | total  |
        | 200.00   | 20.50 | 220.50 |
      When a finance user puts the invoice on hold in Salesforce
      Then the invoice shows on hold in Salesforce
      And the books reconcile with 1 order, 1 invoice and 0 payments

    Scenario: A second invoice keyed in by hand in Salesforce is caught by reconciliation
      Given customer "ROSE-PORTLAND" orders 1 "HW-ROUTER"
      And the order is activated
      And the invoice has been issued
      When a user keys in a second invoice for the same order in Salesforce
      Then the books do not reconcile, and reconciliation names the duplicate invoice for the order

  Rule: With Salesforce as system of record, Salesforce bills and the invoice is posted to the ERP

    Background:
      Given the integration learns of payments by webhook
      And Salesforce is the billing system of record

    Scenario: The invoice originates in Salesforce and is posted to the ERP
      Given customer "WINDY-CHICAGO" orders:
        | product   | quantity | unit price |
        | HW-ROUTER | 2        | 100.00     |
        | FREIGHT   | 1        | 25.00      |
      When the order is activated
      Then the invoice is issued
      And Salesforce holds exactly 1 invoice mirror for the order, sourced from Salesforce
      And the ERP holds exactly 1 invoice for the order
      And the mirror carries the ERP invoice number and these amounts:
        | subtotal | tax   | total  |
        | 225.00   | 20.50 | 245.50 |
      When the customer pays the invoice with a valid card
      Then the invoice shows Paid in Salesforce
      And the ERP shows the invoice fully paid by one customer payment
      And the books reconcile with 1 order, 1 invoice and 1 payment
