"""The ERP's business logic (no Flask): one ``ErpState`` composed of per-resource mixins."""
from __future__ import annotations

from typing import Any

from .base import StateBase, empty_state
from .billing import BillingMixin
from .entities import EntitiesMixin
from .events import EventsMixin, signer
from .orders import OrdersMixin
from .revenue import RevenueMixin


class ErpState(StateBase, EntitiesMixin, OrdersMixin, BillingMixin, RevenueMixin, EventsMixin):
    def __init__(self, sim, catalog=None, **settings: Any):
        self.sim = sim
        self.catalog = catalog
        self.settings = dict(settings)
        self.store = sim.store(empty_state)
        self.outbox = sim.outbox(signer=signer)
        self._auto_job = None
        sim.on_reset(self._on_reset)

    def _on_reset(self) -> None:
        with self.store.lock:
            if not self.records("serviceSaleItem") and not self.records("inventoryItem"):
                self.seed_items(self.catalog)
        self._auto_job = None
        self.schedule_auto_close()


__all__ = ["ErpState"]
