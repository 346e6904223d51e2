Feature: Revenue recognition
  As the revenue accountant
  I want the ERP to recognise revenue by ASC 606: subscriptions over their term, one-time items when delivered, bundles allocated by standalone selling price
  So that reported revenue is right whatever the invoice says and whenever the cash arrives

  Background:
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record

  Rule: A bundle's price is allocated to its parts by standalone selling price

    Scenario: A discounted subscription with free implementation is allocated 10,800 / 3,600
      Given customer "ROSE-PORTLAND" orders:
        | product          | quantity | unit price |
        | SAAS-PLATFORM-12 | 1        | 14400.00   |
        | SVC-IMPL         | 1        | 0.00       |
      When the order is activated
      Then the invoice is issued
      And the ERP allocates the transaction price of 14400.00 by standalone selling price:
        | product          | invoiced | standalone selling price | allocated |
        | SAAS-PLATFORM-12 | 14400.00 | 12000.00                 | 10800.00  |
        | SVC-IMPL         | 0.00     | 4000.00                  | 3600.00   |
      And the implementation's revenue waits for go-live
      And the books reconcile

  Rule: Subscriptions are recognised ratably over their term; one-time items at a point in time

    Scenario: A 12-month subscription is recognised by the exact days in each month
      Given customer "ROSE-PORTLAND" orders 1 "SAAS-PLATFORM-12" at 12000.00
      When the order is activated
      Then the invoice is issued
      And the revenue plan for "SAAS-PLATFORM-12" totals 12000.00 over 13 months, starting:
        | month   | revenue |
        | 2026-01 | 887.67  |
        | 2026-02 | 920.55  |
        | 2026-03 | 1019.18 |
        | 2026-04 | 986.30  |
      When 30 days pass
      And the books for 2026-01 are closed
      Then the closing journal for 2026-01 is:
        | account              | debit  | credit |
        | Deferred Revenue     | 887.67 | 0.00   |
        | Subscription Revenue | 0.00   | 887.67 |
      And the books reconcile

    Scenario: Hardware is recognised in full in the month it is delivered
      Given customer "ROSE-PORTLAND" orders 3 "HW-ROUTER"
      When the order is activated
      Then the invoice is issued
      And the revenue plan for "HW-ROUTER" totals 300.00 over 1 month, starting:
        | month   | revenue |
        | 2026-01 | 300.00  |
      When 30 days pass
      And the books for 2026-01 are closed
      Then the closing journal for 2026-01 is:
        | account          | debit  | credit |
        | Deferred Revenue | 300.00 | 0.00   |
        | Product Revenue  | 0.00   | 300.00 |
      And the books reconcile

    Scenario: Implementation revenue is recognised at go-live, not at invoicing
      Given customer "ROSE-PORTLAND" orders 1 "SVC-IMPL" at 4000.00
      And the order is activated
      And the invoice has been issued
      Then the implementation's revenue waits for go-live
      When 40 days pass
      And the customer goes live on 2026-02-10
      Then the revenue plan for "SVC-IMPL" totals 4000.00 over 1 month, starting:
        | month   | revenue |
        | 2026-02 | 4000.00 |
      And the books reconcile

  Rule: A credit lowers the transaction price and the revenue is re-planned

    Scenario: A partial refund's credit memo re-allocates the bundle
      Given customer "ROSE-PORTLAND" orders:
        | product          | quantity | unit price |
        | SAAS-PLATFORM-12 | 1        | 14400.00   |
        | SVC-IMPL         | 1        | 0.00       |
      And the order is activated
      And the invoice has been issued
      And the customer pays the invoice with a valid card
      And the invoice shows Paid in Salesforce
      When the customer is refunded 1440.00
      Then the ERP holds a credit memo of 1440.00 against the invoice
      And the ERP allocates the transaction price of 12960.00 by standalone selling price:
        | product          | invoiced | standalone selling price | allocated |
        | SAAS-PLATFORM-12 | 14400.00 | 12000.00                 | 9720.00   |
        | SVC-IMPL         | 0.00     | 4000.00                  | 3240.00   |
      And the revenue plans are in their second version
      And the books reconcile with 1 order, 1 invoice and 1 payment
