Feature: Collections (dunning)
  As the credit and collections manager
  I want overdue invoices chased by our written policy, one step at a time, and escalated when it runs out
  So that we collect on time without ever chasing a customer who has paid or who is in dispute

  Background:
    Given the integration learns of payments by webhook
    And the ERP is the billing system of record
    And the collections policy is:
      | stage         | days overdue | collector task | escalate |
      | reminder      | 1            | no             | no       |
      | second_notice | 15           | Normal         | no       |
      | final_notice  | 30           | High           | no       |
      | collections   | 45           | High           | yes      |
    And customer "WINDY-CHICAGO" has an open invoice for 2 "HW-ROUTER"

  Rule: Each stage is sent once, when its days overdue are reached

    Scenario Outline: <days> days overdue, the customer has had <emails> dunning emails, the latest "<stage>"
      When time moves on until the invoice is <days> days overdue
      Then the customer has received these dunning emails in order: <sent>
      And the collectors have <tasks> collections tasks for the invoice
      And the invoice's collections status is "<status>"
      And the books reconcile

      Examples:
        | days | emails | stage         | sent                                                  | tasks | status         |
        | 1    | 1      | reminder      | reminder                                              | 0     | In Dunning     |
        | 15   | 2      | second_notice | reminder, second_notice                               | 1     | In Dunning     |
        | 30   | 3      | final_notice  | reminder, second_notice, final_notice                 | 2     | In Dunning     |
        | 45   | 4      | collections   | reminder, second_notice, final_notice, collections    | 3     | In Collections |

    Scenario: Nothing is sent before the invoice is overdue
      When time moves on until the invoice is 0 days overdue
      Then the customer has received no dunning email
      And the books reconcile

    Scenario: Escalation hands the invoice to the collections team with the balance
      When time moves on until the invoice is 45 days overdue
      Then the invoice's collections status is "In Collections"
      And the latest collector task is high priority and reads "Escalated to collections: <invoice number> (Windy City Widgets LLC, balance 220.50)"
      And the books reconcile

    Scenario: Running the collections flow again the same day sends nothing twice
      Given time moves on until the invoice is 16 days overdue
      When the collections flow is run again, twice
      Then the customer has received these dunning emails in order: reminder, second_notice
      And the books reconcile

  Rule: Paid, disputed and held invoices are not chased

    Scenario: A customer who pays after the first reminder gets no further emails
      Given time moves on until the invoice is 3 days overdue
      When the customer pays the invoice with a valid card
      And time moves on until the invoice is 50 days overdue
      Then the customer has received these dunning emails in order: reminder
      And the invoice's collections status is "In Dunning"
      And reconciliation counts 0 false dunning emails
      And the books reconcile with 1 order, 1 invoice and 1 payment

    Scenario: An invoice the customer disputes is not chased
      Given the customer disputes the invoice with their account manager
      When time moves on until the invoice is 50 days overdue
      Then the customer has received no dunning email
      And the books reconcile

    Scenario: An invoice put on hold is not chased until the hold is lifted
      Given the account manager puts the invoice on hold
      When time moves on until the invoice is 20 days overdue
      Then the customer has received no dunning email
      When the account manager lifts the hold
      And time moves on until the invoice is 21 days overdue
      Then the customer has received these dunning emails in order: second_notice
      And the books reconcile
