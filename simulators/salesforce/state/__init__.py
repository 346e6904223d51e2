"""The fake org: records, users and field-level security, sessions, the event bus, outbound messages,
the dunning flow and the Apex REST registry, over one ``Store`` (reset/snapshot/restore for free). No Flask here."""
from __future__ import annotations

from datetime import date
from typing import Any

from ..objects import REGISTRY
from ..soql.engine import Engine
from .apex import ApexRegistry, builtin
from .auth import Sessions
from .bulk1 import Bulk1
from .bulk2 import Bulk2
from .dunning import Dunning, load_policy
from .events import EventBus
from .outbound import OutboundMessages
from .records import Database, empty_state
from .rules import Rules
from .security import Security, empty_security
from .seed import seed

API_VERSIONS = ["52.0", "53.0", "54.0", "55.0", "56.0", "57.0", "58.0", "59.0", "60.0", "61.0", "62.0"]
DEFAULT_CDC = ("Account", "Order", "OrderItem", "blng__Invoice__c", "blng__InvoiceLine__c", "blng__Payment__c",
               "EmailMessage", "Task")

DEFAULT_SETTINGS = {
    "query_batch_size": None,          # forces the query page size (real: 200..2000 via Sforce-Query-Options)
    "session_timeout_seconds": None,   # inactivity timeout on the simulated clock; None = never
    "api_daily_max": 100_000,          # DailyApiRequests Max; REQUEST_LIMIT_EXCEEDED once used up
    "enforce_api_limit": True,
    "trusted_ip_ranges": [],           # CIDRs whose logins need no security token (Setup > Network Access)
    "cdc_entities": list(DEFAULT_CDC),
    "jwt_certificate": None,           # PEM; None = the harness's default certificate (state/jwt_keys.py)
    "jwt_check_exp": True,             # exp checked on the simulated clock
    "bulk_processing_seconds": 0,      # simulated seconds a bulk job (API 1.0 and 2.0) waits before it is processed
    "base_url": None,                  # outbound message Enterprise/Partner URL host when no request names one
    # the customer portal (/billing/s/, docs/portal.md): where it reaches Stripe, and its session timeouts
    "portal_stripe_url": None,   # None: $O2C_PORTAL_STRIPE_URL (LiveHarness sets it), else https://api.stripe.com
    "portal_stripe_key": "sk_test_o2c_portal",
    "portal_idle_timeout_seconds": 900,              # 15 minutes without a request
    "portal_absolute_timeout_seconds": 28800,        # 8 hours after login, whatever the activity
    "portal_login_max_failures": 5,                  # failed logins per username in the window below
    "portal_login_window_seconds": 900,
    # SOQL: fiscal date literals and FISCAL_* functions; currency literals and convertCurrency()
    "fiscal_year_start_month": 1,                    # Setup > Fiscal Year: the month the fiscal year starts
    "fiscal_year_based_on": "ending",                # a fiscal year is named after its ending (or starting) year
    "multi_currency": False,                         # convertCurrency() is refused unless multi-currency is on
    "corporate_currency": "USD",
    "user_currency": None,                           # the acting user's currency; None = the corporate currency
    "currency_rates": {"USD": 1},                    # conversion rates against the corporate currency
}


def _factory() -> dict[str, Any]:
    state = empty_state()
    state.update({
        "sessions": {}, "api_usage": 0, "cursors": {}, "recent": {},
        "eventbus": {"events": [], "replay": 0, "faults": [], "held": {}},
        "outbound": [], "dunning": {"policy": load_policy(), "runs": []},
        "settings": dict(DEFAULT_SETTINGS, cdc_entities=list(DEFAULT_CDC),
                         currency_rates=dict(DEFAULT_SETTINGS["currency_rates"])),
        "security": empty_security(),
        "portal": {"sessions": {}, "failures": {}, "pending": {}},
    })
    return state


class Org:
    def __init__(self, sim, live: bool = False):
        self.sim = sim
        self.live = live
        self.registry = REGISTRY
        self.store = sim.store(_factory)
        self.db = Database(sim, self.store)
        self.db.rules = Rules(self.db)
        self.security = Security(self)
        self.db.security = self.security
        self.sessions = Sessions(self)
        self.bus = EventBus(self)
        self.outbound = OutboundMessages(self)
        self.dunning = Dunning(self)
        self.apex = ApexRegistry()
        self.bulk1 = Bulk1(self)
        self.bulk2 = Bulk2(self)
        builtin(self.apex)
        self.engine = Engine(self.db, self.today)
        self.standard_pricebook_id = ""
        self.db.listeners = [self.bus.on_change, self.outbound.on_change]
        sim.on_reset(self._on_reset)

    def _on_reset(self) -> None:
        listeners, self.db.listeners = self.db.listeners, []
        try:
            with self.security.system_mode():   # setup data belongs to the org's default user
                seed(self)
        finally:
            self.db.listeners = listeners
        self.dunning._job = None
        self.dunning.schedule_next()

    @property
    def settings(self) -> dict[str, Any]:
        return self.store.data["settings"]

    def today(self) -> date:
        return self.sim.clock.now().date()

    def base_url(self) -> str:
        return self.settings.get("base_url") or "https://o2c.my.salesforce.com"

    def count_api_call(self) -> int:
        self.store.data["api_usage"] += 1
        return self.store.data["api_usage"]

    def limit_info(self) -> str:
        return f"api-usage={self.store.data['api_usage']}/{self.settings['api_daily_max']}"
