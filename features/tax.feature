Feature: Sales tax and VAT
  As the tax manager
  I want every invoice taxed by the tax engine for the customer's jurisdiction, and the committed tax document to match the invoice
  So that we collect and remit exactly the tax we owe, and never key tax in by hand

  Background:
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record

  Rule: Tax follows the customer's jurisdiction and the product's tax code

    Scenario Outline: Tax on an invoice for a customer in <place>
      Given customer "<customer>" orders 1 "<product>" at <price>
      When the order is activated
      Then the invoice is issued
      And the invoice carries tax of <tax> on <price>, <total> in all
      And the committed tax document matches the invoice
      And the books reconcile

      Examples: the harness's jurisdiction table
        | place                  | customer           | product          | price   | tax   | total   |
        | Irvine, California     | ACME-IRVINE        | HW-ROUTER        | 100.00  | 7.75  | 107.75  |
        | Chicago, Illinois      | WINDY-CHICAGO      | HW-ROUTER        | 250.00  | 25.64 | 275.64  |
        | New York City          | BIGAPPLE-NYC       | HW-ROUTER        | 99.99   | 8.87  | 108.86  |
        | Austin, Texas (SaaS)   | LONESTAR-AUSTIN    | SAAS-PLATFORM-12 | 1000.00 | 66.00 | 1066.00 |
        | Portland, Oregon       | ROSE-PORTLAND      | HW-ROUTER        | 100.00  | 0.00  | 100.00  |
        | the United Kingdom     | THAMES-LONDON      | HW-ROUTER        | 100.00  | 20.00 | 120.00  |
        | British Columbia       | CASCADIA-VANCOUVER | HW-ROUTER        | 200.00  | 24.00 | 224.00  |
        | California (SaaS)      | ACME-IRVINE        | SAAS-PLATFORM-12 | 1000.00 | 0.00  | 1000.00 |

    Scenario: The tax document breaks the tax down by jurisdiction, line by line
      Given customer "WINDY-CHICAGO" orders 1 "HW-ROUTER" at 250.00
      When the order is activated
      Then the invoice is issued
      And the committed tax document shows these jurisdictions:
        | jurisdiction                      | rate  | tax   |
        | ILLINOIS                          | 6.25  | 15.63 |
        | COOK                              | 1.75  | 4.38  |
        | CHICAGO                           | 1.25  | 3.13  |
        | REGIONAL TRANSPORTATION AUTHORITY | 1.00  | 2.50  |
      And the committed tax document matches the invoice
      And the books reconcile

  Rule: Exempt customers pay no tax, and the exemption is on record

    Scenario: A tax-exempt school district is invoiced without tax
      Given customer "SCHOOL-IRVINE" orders 3 "HW-ROUTER"
      When the order is activated
      Then the invoice is issued
      And the invoice carries tax of 0.00 on 300.00, 300.00 in all
      And the committed tax document records the exemption
      And the books reconcile

  Rule: When the tax engine is unavailable the order waits; nobody enters tax by hand

    Scenario: The tax engine is down, the order waits, then completes with the engine's tax
      Given customer "ACME-IRVINE" orders 2 "HW-ROUTER"
      And the tax engine is unavailable
      When the order is activated
      And 20 minutes pass
      Then no invoice has been issued for the order yet
      And the integration is still retrying the order, nothing has been given up
      When the tax engine is available again
      And 1 hour passes
      Then the invoice is issued
      And the invoice carries tax of 15.50 on 200.00, 215.50 in all
      And the committed tax document matches the invoice
      And the books reconcile with 1 order, 1 invoice and 0 payments
