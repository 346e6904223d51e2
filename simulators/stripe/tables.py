"""Every route table of the Stripe fake, in the order the lane tries them (literal paths such as
``/v1/customers/search`` before ``/v1/customers/{id}``). The app, the schema generator and the tests
read this one list."""
from __future__ import annotations


def route_tables() -> list[list]:
    from . import (routes_billing, routes_core, routes_credit, routes_discounts, routes_payments, routes_search,
                   routes_setup, routes_subscriptions, routes_taxes)
    return [routes_search.TABLE, routes_core.TABLE, routes_billing.TABLE, routes_payments.TABLE, routes_credit.TABLE,
            routes_taxes.TABLE, routes_subscriptions.TABLE, routes_setup.TABLE, routes_discounts.TABLE]
