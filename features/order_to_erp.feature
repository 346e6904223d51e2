Feature: Order to ERP
  As the billing operations lead
  I want every activated Salesforce order to arrive in the ERP exactly as sold, amendments included
  So that what we bill is what the sales rep agreed with the customer

  Background:
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record

  Rule: The ERP sales order and invoice carry every line of the activated order

    Scenario: A multi-line order reaches the ERP line by line
      Given customer "BIGAPPLE-NYC" orders:
        | product          | quantity | unit price |
        | HW-ROUTER        | 3        | 100.00     |
        | SUPPORT-12       | 1        | 2400.00    |
        | SAAS-PLATFORM-12 | 1        | 12000.00   |
        | FREIGHT          | 1        | 25.00      |
      When the order is activated
      Then the invoice is issued
      And the ERP sales order has these lines:
        | product          | quantity | amount   |
        | HW-ROUTER        | 3        | 300.00   |
        | SUPPORT-12       | 1        | 2400.00  |
        | SAAS-PLATFORM-12 | 1        | 12000.00 |
        | FREIGHT          | 1        | 25.00    |
      And the invoice totals:
        | subtotal | tax     | total    |
        | 14725.00 | 1093.85 | 15818.85 |
      And the books reconcile with 1 order, 1 invoice and 0 payments

  Rule: Orders can be amended until they are activated; after that the products are locked

    Scenario: Amendments made before activation are what gets billed
      Given customer "ACME-IRVINE" has a draft order:
        | product   | quantity | unit price |
        | HW-ROUTER | 1        | 100.00     |
      When the sales rep changes the quantity of "HW-ROUTER" to 4
      And the sales rep adds 2 "FREIGHT" at 25.00
      And the sales rep activates the order
      Then the invoice is issued
      And the ERP sales order has these lines:
        | product   | quantity | amount |
        | HW-ROUTER | 4        | 400.00 |
        | FREIGHT   | 2        | 50.00  |
      And the invoice totals:
        | subtotal | tax   | total  |
        | 450.00   | 31.00 | 481.00 |
      And the books reconcile

    Scenario: An activated order cannot be amended, so the invoice cannot drift from the order
      Given customer "ACME-IRVINE" orders 1 "HW-ROUTER"
      And the order is activated
      And the invoice has been issued
      When the sales rep tries to change the quantity of "HW-ROUTER" to 5
      Then Salesforce refuses the change because the order is activated
      And the invoice totals:
        | subtotal | tax  | total  |
        | 100.00   | 7.75 | 107.75 |
      And the books reconcile

  Rule: With a nightly billing run, orders can be amended until the run bills them; after that only a credit memo can change the invoice

    Scenario: Orders can be amended until the billing run
      Given the ERP bills orders in a nightly billing run at 02:00 UTC
      And customer "ACME-IRVINE" orders:
        | product   | quantity | unit price |
        | HW-ROUTER | 1        | 100.00     |
      And the order is activated
      Then the order waits for the nightly billing run, not yet invoiced
      When the sales rep deactivates the order
      And the sales rep changes the quantity of "HW-ROUTER" to 4
      And the sales rep activates the order again
      Then the ERP sales order has these lines:
        | product   | quantity | amount |
        | HW-ROUTER | 4        | 400.00 |
      And the estimated tax on the order is 31.00
      When the nightly billing run happens
      Then the invoice is issued
      And the invoice totals:
        | subtotal | tax   | total  |
        | 400.00   | 31.00 | 431.00 |
      And the tax engine has committed the invoice's tax
      And the books reconcile with 1 order, 1 invoice and 0 payments

    Scenario: An order deactivated over the billing run is billed by the first run after it is activated again
      Given the ERP bills orders in a nightly billing run at 02:00 UTC
      And customer "WINDY-CHICAGO" orders 2 "HW-ROUTER"
      And the order is activated
      When the sales rep deactivates the order
      And the nightly billing run happens
      Then the order waits for the nightly billing run, not yet invoiced
      When the sales rep adds 1 "FREIGHT" at 25.00
      And the sales rep activates the order again
      And 1 day passes
      Then the invoice is issued
      And the invoice totals:
        | subtotal | tax   | total  |
        | 225.00   | 20.50 | 245.50 |
      And the books reconcile with 1 order, 1 invoice and 0 payments

    Scenario: An order amended after it was invoiced is not billed again; billing is told to issue a credit memo
      Given the ERP bills orders in a nightly billing run at 02:00 UTC
      And customer "ACME-IRVINE" orders 1 "HW-ROUTER"
      And the order is activated
      And the nightly billing run has happened
      And the invoice has been issued
      When the sales rep deactivates the order
      And the sales rep changes the quantity of "HW-ROUTER" to 5
      And the sales rep activates the order again
      Then the billing team is alerted that the order is already invoiced and needs a credit memo
      When the nightly billing run happens
      Then the ERP still holds exactly 1 invoice for the order
      And the invoice totals:
        | subtotal | tax  | total  |
        | 100.00   | 7.75 | 107.75 |
      And the books do not reconcile, and reconciliation names the order whose total no longer matches its invoice

  Rule: Cancelling an order voids its tax document and its payable invoice

    Scenario: Cancellation voids the committed tax document and the payment link
      Given customer "ACME-IRVINE" orders 1 "HW-ROUTER"
      And the order is activated
      And the invoice has been issued
      When the sales rep cancels the order
      Then the tax document of the invoice is voided in the tax engine
      And the customer can no longer pay the invoice online
      And the order shows billing status "Cancelled" in Salesforce
      And the books reconcile
