"""The Stripe fake's business logic (no Flask): one ``StripeState`` built from resource mixins."""
from __future__ import annotations

from typing import Any

from .balance import BalanceMixin
from .charges import ChargesMixin
from .credit_notes import CreditNotesMixin
from .customers import CustomersMixin
from .discounts import DiscountsMixin
from .events import SCHEDULES, EventsMixin
from .idempotency import IdempotencyMixin
from .invoice_payments import InvoicePaymentsMixin
from .invoice_tax import InvoiceTaxMixin
from .invoices import InvoicesMixin
from .lines import LinesMixin
from .payment_methods import PaymentMethodsMixin
from .payments import PaymentsMixin
from .preview import PreviewMixin
from .prorations import ProrationsMixin
from .refunds import RefundsMixin
from .setup_intents import SetupIntentsMixin
from .subscription_billing import SubscriptionBillingMixin
from .subscriptions import SubscriptionsMixin
from .taxes import TaxesMixin


class StripeState(SubscriptionsMixin, SubscriptionBillingMixin, ProrationsMixin, InvoicesMixin, InvoicePaymentsMixin,
                  LinesMixin, PaymentsMixin, CustomersMixin, EventsMixin, IdempotencyMixin, PreviewMixin,
                  PaymentMethodsMixin, RefundsMixin, CreditNotesMixin, BalanceMixin, TaxesMixin, ChargesMixin,
                  SetupIntentsMixin, DiscountsMixin, InvoiceTaxMixin):
    def __init__(self, sim, options: dict[str, Any] | None = None):
        super().__init__(sim, options or {})
        self._request_ctx: dict[str, Any] | None = None
        self.init_events()


SCHEDULES_DOC = SCHEDULES

__all__ = ["StripeState", "SCHEDULES_DOC"]
