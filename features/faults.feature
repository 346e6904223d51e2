Feature: Outages and slow systems
  As the head of finance systems
  I want the order-to-cash flow to survive any one system being down or slow for a while
  So that after an outage every order is billed and every payment recorded, with nothing lost and nothing doubled

  Background:
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record

  Rule: An outage while orders are being billed delays them; it never loses or doubles them

    Scenario Outline: <system> is down for 30 minutes while two orders are billed
      Given customer "WINDY-CHICAGO" orders 2 "HW-ROUTER"
      And customer "BIGAPPLE-NYC" orders 1 "SUPPORT-12"
      When the order of "WINDY-CHICAGO" is activated
      And the order of "BIGAPPLE-NYC" is activated
      And <system> goes down before the integration has heard of them
      And 30 minutes pass
      Then <system> refused the integration's calls while it was down
      When <system> is back
      And 2 hours pass
      Then both orders are invoiced exactly once
      When both customers pay with a valid card
      Then both invoices show Paid in Salesforce
      And the books reconcile with 2 orders, 2 invoices and 2 payments

      Examples:
        | system     |
        | Salesforce |
        | the ERP    |
        | the tax engine |
        | the payment processor |

  Rule: An outage while a payment is being recorded delays it; it is recorded exactly once

    Scenario Outline: <system> is down for 30 minutes just as the customer pays
      Given customer "ACME-IRVINE" has an open invoice for 1 "HW-ROUTER"
      When the customer pays the invoice with a valid card
      And <system> goes down before the integration has heard of it
      And 30 minutes pass
      And <system> is back
      And 2 hours pass
      Then the invoice shows Paid in Salesforce
      And the ERP shows the invoice fully paid by one customer payment
      And the books reconcile with 1 order, 1 invoice and 1 payment

      Examples:
        | system                |
        | Salesforce            |
        | the ERP               |
        | the payment processor |

  Rule: Slow systems are waited for

    @inprocess
    Scenario Outline: <system> answers slowly (<seconds> seconds a call) and the lifecycle still completes
      Given <system> answers every call after <seconds> seconds
      And customer "ACME-IRVINE" orders 1 "HW-ROUTER"
      When the order is activated
      And 1 minute passes
      Then the invoice is issued
      When the customer pays the invoice with a valid card
      And 1 minute passes
      Then the invoice shows Paid in Salesforce
      And the books reconcile with 1 order, 1 invoice and 1 payment

      Examples:
        | system                | seconds |
        | Salesforce            | 3       |
        | the ERP               | 5       |
        | the tax engine        | 8       |
        | the payment processor | 2       |

  Rule: When the integration itself is down, the systems' own retries bring the work back to it

    @reference
    Scenario: The integration is down for an hour while an order is activated and an invoice is paid
      Given customer "WINDY-CHICAGO" orders 2 "HW-ROUTER"
      And customer "ACME-IRVINE" has an open invoice for 1 "HW-ROUTER"
      And the integration goes down
      When the customer pays the invoice with a valid card
      And the order of "WINDY-CHICAGO" is activated
      And 1 hour passes
      Then the order of "WINDY-CHICAGO" has no invoice yet
      And the invoice of "ACME-IRVINE" still shows Unpaid in Salesforce
      When the integration is back
      And 4 hours pass
      Then the invoice of "ACME-IRVINE" shows Paid in Salesforce
      And the order of "WINDY-CHICAGO" is invoiced
      And the books reconcile with 2 orders, 2 invoices and 1 payment
