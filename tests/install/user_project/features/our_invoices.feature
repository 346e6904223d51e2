Feature: Our invoices are paid once, everywhere
  As our finance team
  I want an activated order to be invoiced, paid by card, and settled in every system
  So that cash and receivables agree

  Scenario: An activated order is invoiced and paid by card
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record
    And the order-to-cash integration is running
    And customer "ACME-IRVINE" orders 2 "HW-ROUTER"
    When the sales rep activates the order
    Then the invoice is issued
    When the customer pays the invoice with a valid card
    Then the invoice shows Paid in Salesforce
    And the ERP shows the invoice fully paid by one customer payment
    And the books reconcile with 1 order, 1 invoice and 1 payment
