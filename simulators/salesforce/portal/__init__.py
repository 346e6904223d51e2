"""The customer billing portal: an Experience Cloud site served by the fake Salesforce under
``/billing/s/`` (docs/portal.md). Portal users (state/portal_users.py) log in with a password; the
pages read the invoice mirror of the user's own Account and pay through Stripe's public API."""
from __future__ import annotations

from .views import blueprint, not_found

# the portal authenticates its own users (sessions.py): the API's session check does not apply
ENDPOINTS = frozenset({"portal.login", "portal.logout", "portal.home", "portal.invoices", "portal.invoice",
                       "portal.pdf", "portal.pay", "portal.payments", "portal.case"})


__all__ = ["ENDPOINTS", "register", "not_found"]


def register(app, org) -> None:
    app.register_blueprint(blueprint(org))
