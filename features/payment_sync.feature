Feature: Payment status reaching Salesforce: webhooks versus polling
  As the accounts receivable manager
  I want a payment to show in Salesforce quickly, and to know what polling lag costs us
  So that no customer who has paid is chased for the money

  Rule: With webhooks, a payment shows as Paid in Salesforce within a minute

    Background:
      Given the integration learns of payments by webhook
      And the ERP is the billing system of record
      And customer "ACME-IRVINE" has an open invoice for 1 "HW-ROUTER"

    Scenario: The payment is in Salesforce within one minute
      When the customer pays the invoice with a valid card
      And 1 minute passes
      Then the invoice already shows Paid in Salesforce
      And the books reconcile with 1 order, 1 invoice and 1 payment

    Scenario: A payment just before the collections run stops the reminder
      Given it is 2 minutes before the collections run on the first day the invoice is overdue
      When the customer pays the invoice with a valid card
      And 20 minutes pass
      Then the customer has received no dunning email
      And reconciliation counts 0 false dunning emails
      And the books reconcile

    Scenario: Every webhook delivered twice changes nothing
      Given the payment processor delivers every notification twice
      When the customer pays the invoice with a valid card
      And 5 minutes pass
      Then the invoice already shows Paid in Salesforce
      And the ERP shows the invoice fully paid by one customer payment
      And Salesforce records exactly one payment
      And the books reconcile with 1 order, 1 invoice and 1 payment

    Scenario: A stale "payment failed" notification arriving after the payment changes nothing
      Given the payment processor will deliver the next notification late, after the one that follows it
      When the customer pays the invoice with a card that is declined
      And the customer pays the invoice with a valid card
      And 10 minutes pass
      Then the late notification was delivered after the payment notification
      And the invoice already shows Paid in Salesforce
      And the ERP shows the invoice fully paid by one customer payment
      And the books reconcile with 1 order, 1 invoice and 1 payment

    Scenario: A forged payment notification is rejected
      When someone sends the integration a forged "invoice paid" notification for the invoice
      Then the integration rejects it
      And the invoice shows Unpaid in Salesforce
      And the ERP shows no payment against the invoice
      And the books reconcile with 1 order, 1 invoice and 0 payments

  Rule: With polling, Salesforce learns of a payment only at the next poll, and the lag can cost a false dunning email

    Scenario Outline: Polling every <minutes> minutes shows the payment by the next poll
      Given the integration learns of payments by polling every <minutes> minutes
      And the ERP is the billing system of record
      And customer "ACME-IRVINE" has an open invoice for 1 "HW-ROUTER"
      When the customer pays the invoice with a valid card
      Then the invoice still shows Unpaid in Salesforce
      When <minutes> minutes pass
      Then the invoice already shows Paid in Salesforce
      And the books reconcile with 1 order, 1 invoice and 1 payment

      Examples:
        | minutes |
        | 5       |
        | 15      |
        | 60      |

    Scenario: A payment made just before the collections run still gets a reminder, and reconciliation counts it
      Given the integration learns of payments by polling every 180 minutes
      And the ERP is the billing system of record
      And customer "ACME-IRVINE" has an open invoice for 1 "HW-ROUTER"
      And it is 2 minutes before the collections run on the first day the invoice is overdue
      When the customer pays the invoice with a valid card
      And 3 minutes pass
      Then the invoice still shows Unpaid in Salesforce
      And the customer has received the "reminder" email although they had paid 2 minutes earlier
      When 5 minutes pass
      Then the invoice still shows Unpaid in Salesforce
      When 5 minutes pass
      Then the invoice already shows Paid in Salesforce
      And reconciliation counts 1 false dunning email
      And the books reconcile
