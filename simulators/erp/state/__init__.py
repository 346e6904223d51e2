"""The ERP's business logic (no web framework, no request context): ``ErpState`` holds the records
(customers, items, orders, billing) and composes the per-concern stores that share its store:
``revenue`` (ARM arrangements, plans, period close), ``events`` (the harness's event feed),
``removal`` (record deletion with NetSuite's dependency checks) and ``jobs`` (asynchronous requests)."""
from __future__ import annotations

from typing import Any

from .base import StateBase, empty_state
from .billing import BillingMixin
from .entities import EntitiesMixin
from .events import EventFeed, signer
from .jobs import AsyncJobs
from .orders import OrdersMixin
from .removal import Removal
from .revenue import RevenueBook


class ErpState(StateBase, EntitiesMixin, OrdersMixin, BillingMixin):
    def __init__(self, sim, catalog=None, one_world: bool = False, **settings: Any):
        self.sim = sim
        self.catalog = catalog
        self.settings = dict(settings)
        self.one_world = one_world
        self.store = sim.store(empty_state)
        self.outbox = sim.outbox(signer=signer)
        self.events = EventFeed(sim, self.store, self.settings, self.outbox)
        self.revenue = RevenueBook(sim, self.store, self.settings)
        self.removal = Removal(sim, self.store)
        self.jobs = AsyncJobs(sim, self.store)
        sim.on_reset(self._on_reset)

    def _on_reset(self) -> None:
        with self.store.lock:
            if not self.records("serviceSaleItem") and not self.records("inventoryItem"):
                self.seed_items(self.catalog)
        self.revenue._auto_job = None
        self.revenue.schedule_auto_close()


__all__ = ["ErpState"]
