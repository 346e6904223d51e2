"""The Stripe fake's business logic (no Flask): ``StripeState`` is a small hub over per-resource stores.

Where things live (each store is a class in the module of the same name):

- ``objects`` (base.py): every object by id, creation order, lists, ``expand[]``: shared by all stores;
- ``customers`` (customers.py): customers, products, prices, test clocks; ``payment_methods``: PaymentMethods, cards;
- ``payments`` (payments.py): PaymentIntents; ``charges``: charges, card sources, captures;
  ``refunds``: refunds, disputes;
- ``invoices`` (invoices.py, dunning.py): invoices, finalize/pay/void, hosted page, scheduled jobs, retries;
- ``lines``: invoice items and invoice line items; ``invoice_payments``: invoice payments;
  ``invoice_tax``: pricing of lines (tax rates, discounts); ``preview``: upcoming-invoice previews;
- ``subscriptions`` (subscriptions.py): subscriptions and their items;
  ``billing`` (subscription_billing.py): periods, renewals, trials, payment outcomes;
  ``prorations``: proration of item changes;
- ``credit_notes``; ``balance``: customer balance and balance transactions; ``taxes``: tax rates, tax ids;
- ``discounts``: coupons, promotion codes, discounts; ``setup_intents``;
- ``events``: events, webhook endpoints and delivery; ``idempotency``: Idempotency-Key records.

Stores reach their siblings through the hub (``self.hub.invoices``), never through a shared ``self``.
State holds no request: the routes pass what it needs (``events.publish(request_id, key)``).
"""
from __future__ import annotations

from typing import Any

from .balance import BalanceStore
from .base import Objects
from .charges import ChargeStore
from .credit_notes import CreditNoteStore
from .customers import CustomerStore
from .discounts import DiscountStore
from .events import SCHEDULES, EventStore
from .idempotency import IdempotencyStore
from .invoice_payments import InvoicePaymentStore
from .invoice_tax import InvoiceTax
from .invoices import InvoiceStore
from .lines import LineStore
from .payment_methods import PaymentMethodStore
from .payments import PaymentIntentStore
from .preview import InvoicePreview
from .prorations import Prorations
from .refunds import RefundStore
from .setup_intents import SetupIntentStore
from .subscription_billing import SubscriptionBilling
from .subscriptions import SubscriptionStore
from .taxes import TaxStore


class StripeState:
    def __init__(self, sim, options: dict[str, Any] | None = None):
        self.sim = sim
        self.options = options or {}
        self.objects = Objects(sim, self.options)
        self.clock = sim.clock
        self.lock = self.objects.lock
        # base URL of hosted invoice pages and receipts: the option, else the host of the latest request
        self.public_base = self.options.get("public_base", "https://api.stripe.com")
        # the object table's reads, used by nearly every route
        self.get, self.find = self.objects.get, self.objects.find
        self.render, self.list_objects = self.objects.render, self.objects.list_objects

        self.events = EventStore(self)
        self.idempotency = IdempotencyStore(self)
        self.customers = CustomerStore(self)
        self.payment_methods = PaymentMethodStore(self)
        self.setup_intents = SetupIntentStore(self)
        self.payments = PaymentIntentStore(self)
        self.charges = ChargeStore(self)
        self.refunds = RefundStore(self)
        self.balance = BalanceStore(self)
        self.taxes = TaxStore(self)
        self.discounts = DiscountStore(self)
        self.invoices = InvoiceStore(self)
        self.lines = LineStore(self)
        self.invoice_payments = InvoicePaymentStore(self)
        self.invoice_tax = InvoiceTax(self)
        self.preview = InvoicePreview(self)
        self.credit_notes = CreditNoteStore(self)
        self.subscriptions = SubscriptionStore(self)
        self.billing = SubscriptionBilling(self)
        self.prorations = Prorations(self)

    @property
    def d(self) -> dict[str, Any]:
        return self.objects.d


SCHEDULES_DOC = SCHEDULES

__all__ = ["StripeState", "SCHEDULES_DOC"]
