Feature: Customer billing portal
  As the billing clerk of a customer
  I want to see, download and pay our invoices on the billing portal, and dispute one when it is wrong
  So that we pay what we owe, once, without calling anyone

  Background:
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record
    And customer "ACME-IRVINE" has an open invoice for 1 "HW-ROUTER"

  Rule: The customer sees, downloads and pays the invoice on the portal

    Scenario: The customer downloads the invoice and pays the balance on the portal
      When the customer signs in to the billing portal
      Then the portal lists the invoice as Posted with a balance of 107.75
      And the portal shows the tax of each jurisdiction as the tax engine committed it
      When the customer downloads the invoice PDF from the portal
      Then the PDF shows the invoice number, the customer's name and a balance due of 107.75
      When the customer pays the balance on the portal with a valid card
      Then the portal shows the payment as processing
      And the invoice shows Paid in Salesforce
      And the ERP shows the invoice fully paid by one customer payment
      And the portal lists the invoice as Paid with a balance of 0.00
      And the books reconcile with 1 order, 1 invoice and 1 payment

    Scenario: The customer pays part of the invoice on the portal, then the rest
      When the customer signs in to the billing portal
      And the customer pays 50.00 on the portal with a valid card
      Then the invoice shows Partially Paid in Salesforce
      And the portal lists the invoice as Partially Paid with a balance of 57.75
      When the customer pays the balance on the portal with a valid card
      Then the invoice shows Paid in Salesforce
      And the books reconcile

    Scenario: A declined card on the portal leaves the invoice open, with the bank's reason
      When the customer signs in to the billing portal
      And the customer pays the balance on the portal with a card with insufficient funds
      Then the portal says the payment was declined: "Your card has insufficient funds."
      And the invoice shows Unpaid in Salesforce
      And the ERP shows no payment against the invoice

  Rule: Each customer sees only its own invoices

    Scenario: Another customer's invoice does not exist for the customer
      Given customer "WINDY-CHICAGO" has an open invoice for 1 "HW-ROUTER"
      When the billing clerk of "ACME-IRVINE" signs in to the billing portal
      Then the portal lists only the customer's own invoices
      When the customer opens the invoice of "WINDY-CHICAGO" on the portal
      Then the portal answers that the page does not exist

  Rule: A disputed invoice is a case for the billing team, and is not chased

    Scenario: The customer disputes the invoice on the portal and is not dunned for it
      When the customer signs in to the billing portal
      And the customer disputes the invoice on the portal: "We returned one router; please credit it."
      Then an open case in Salesforce names the invoice as disputed
      When time moves on until the invoice is 20 days overdue
      Then the customer has received no dunning email
