Feature: Customer payment
  As the accounts receivable manager
  I want card payments on the hosted invoice page to settle the invoice everywhere, in full or in parts, and failures to leave it open with the bank's reason
  So that cash, receivables and the customer's view always agree

  Background:
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record
    And customer "ACME-IRVINE" has an open invoice for 1 "HW-ROUTER"

  Rule: The customer pays through the hosted invoice link on the Salesforce invoice

    Scenario: The hosted invoice link shows the customer what is due
      When the customer opens the payment link on the Salesforce invoice
      Then the payment page shows 107.75 due and offers to pay it by card

    Scenario: A card payment settles the invoice in Salesforce and the ERP
      When the customer pays the invoice with a valid card
      Then the payment is accepted
      And the invoice shows Paid in Salesforce
      And the ERP shows the invoice fully paid by one customer payment
      And Salesforce records one payment of 107.75 against the invoice
      And the books reconcile with 1 order, 1 invoice and 1 payment

  Rule: A customer may pay an invoice in parts; it is paid when the last part arrives

    Scenario: A customer pays part of an invoice and then the rest
      When the customer pays part of the invoice with a valid card:
        | amount |
        | 50.00  |
      Then the part payment is accepted and the invoice stays open
      And the invoice shows Partially Paid in Salesforce
      And the invoice's amounts agree in the payment processor, the ERP and Salesforce:
        | paid  | still to pay |
        | 50.00 | 57.75        |
      And the books reconcile with 1 order, 1 invoice and 1 payment
      When the customer pays the rest of the invoice with a valid card
      Then the payment is accepted
      And the invoice shows Paid in Salesforce
      And the invoice's amounts agree in the payment processor, the ERP and Salesforce:
        | paid   | still to pay |
        | 107.75 | 0.00         |
      And Salesforce records these payments against the invoice:
        | amount |
        | 50.00  |
        | 57.75  |
      And the ERP shows the invoice fully paid by 2 customer payments
      And the books reconcile with 1 order, 1 invoice and 2 payments

    Scenario: A declined part payment changes nothing
      When the customer pays part of the invoice with a card with insufficient funds:
        | amount |
        | 50.00  |
      Then the payment is declined with reason "insufficient_funds" and the message "Your card has insufficient funds."
      And the invoice shows Unpaid in Salesforce
      And the ERP shows no payment against the invoice
      And the books reconcile with 1 order, 1 invoice and 0 payments

    Scenario: A partially paid invoice still gets a reminder for the balance
      Given the customer pays part of the invoice with a valid card:
        | amount |
        | 40.00  |
      When time moves on until the invoice is 3 days overdue
      Then the customer's reminders read:
        | stage    | balance | invoice status |
        | reminder | 67.75   | Partially Paid |
      When the customer pays the rest of the invoice with a valid card
      And time moves on until the invoice is 20 days overdue
      Then the invoice shows Paid in Salesforce
      And the customer's reminders read:
        | stage    | balance | invoice status |
        | reminder | 67.75   | Partially Paid |
      And reconciliation counts 0 false dunning emails
      And the books reconcile with 1 order, 1 invoice and 2 payments

  Rule: A declined card leaves the invoice open, with the bank's reason

    Scenario Outline: A card declined for <reason> leaves the invoice open
      When the customer pays the invoice with <card>
      Then the payment is declined with reason "<decline code>" and the message "<message>"
      And the invoice shows Unpaid in Salesforce
      And the ERP shows no payment against the invoice
      And the books reconcile with 1 order, 1 invoice and 0 payments

      Examples:
        | reason              | card                              | decline code       | message                              |
        | a generic decline   | a card that is declined           | generic_decline    | Your card was declined.              |
        | insufficient funds  | a card with insufficient funds    | insufficient_funds | Your card has insufficient funds.    |
        | a lost card         | a lost card                       | lost_card          | Your card was declined.              |
        | an expired card     | an expired card                   | expired_card       | Your card has expired.               |
        | a wrong CVC         | a card with a wrong security code | incorrect_cvc      | Your card's security code is incorrect. |

    Scenario: Insufficient funds, then the customer retries with another card
      When the customer pays the invoice with a card with insufficient funds
      Then the payment is declined with reason "insufficient_funds" and the message "Your card has insufficient funds."
      When 2 days pass
      And the customer pays the invoice with a valid card
      Then the payment is accepted
      And the invoice shows Paid in Salesforce
      And the ERP shows the invoice fully paid by one customer payment
      And the books reconcile with 1 order, 1 invoice and 1 payment

  Rule: Refunds flow back as credit memos and return tax documents

    Scenario: A full refund credits the invoice and reverses the tax
      Given the customer pays the invoice with a valid card
      And the invoice shows Paid in Salesforce
      When the customer is refunded in full
      Then the invoice shows Refunded in Salesforce
      And the ERP holds a credit memo of 107.75 against the invoice
      And the tax engine holds a return document with tax of -7.75
      And the books reconcile

    Scenario: A partial refund credits part of the invoice and reverses part of the tax
      Given the customer pays the invoice with a valid card
      And the invoice shows Paid in Salesforce
      When the customer is refunded 53.88
      Then the invoice shows Paid in Salesforce
      And the ERP holds a credit memo of 53.88 against the invoice
      And the tax engine holds a return document with tax of -3.88
      And the books reconcile

  Rule: A disputed payment is flagged on the invoice

    Scenario: The cardholder disputes the payment
      When the customer pays the invoice with a card that will be disputed
      Then the payment is accepted
      And the invoice shows Paid in Salesforce
      When 1 day passes
      Then the payment processor shows a dispute for "fraudulent"
      And the Salesforce invoice is flagged as disputed
      And the books reconcile with 1 order, 1 invoice and 1 payment
