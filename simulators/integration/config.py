"""Integration settings: where the systems are, how to sync payments, which system bills."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..clients.settings import Connections

PAYMENT_SYNC = ("webhook", "polling")
SYSTEMS_OF_RECORD = ("erp", "salesforce")
CONCURRENCY = ("erp_concurrency", "avalara_concurrency", "salesforce_concurrency", "stripe_concurrency")


@dataclass
class Config(Connections):
    """The reference integration's settings: the systems' endpoints and credentials (``Connections``)
    and how it syncs, bills and retries."""
    payment_sync: str = "webhook"          # webhook | polling
    poll_interval: float = 300.0           # simulated seconds between /v1/events polls
    system_of_record: str = "erp"          # erp | salesforce (Revenue-Cloud style)
    terms_days: int = 30                   # Net 30 (0 = due on receipt, 15, 45, 60)
    bill_on_activation: bool = True        # bill as soon as the sales order exists; else on the daily billing run
    billing_run_hour: int = 2              # the daily billing run's UTC hour (0-23) when not billing on activation
    own_url: str = "https://integration.o2c.test"   # where webhooks and notifications reach us
    # The run's control token (live): sent as X-Sim-Token when the integration uses a fake's control
    # plane (Salesforce setup at install). Set by the server at start, never through /_integration/config.
    control_token: str | None = None
    # Robustness
    # Back-off for transient failures (429, 5xx, lock errors, timeouts): about 4.8 simulated hours in
    # all, so an outage of a couple of hours delays work instead of dead-lettering it.
    retry_schedule: list[float] = field(default_factory=lambda: [2, 4, 8, 16, 32, 64, 128, 300, 600, 1800,
                                                                 3600, 3600, 7200])
    # On a running clock (scaled or real) every retry also waits at least this many WALL seconds,
    # doubling per attempt up to retry_wall_cap: a fast clock never turns back-off into hammering.
    retry_wall_floor: float = 0.5
    retry_wall_cap: float = 30.0
    # Live: worker threads running independent jobs at once (jobs of one order, or of one Stripe
    # invoice, still one at a time). 0 runs every job on the clock's thread. Read when the server starts.
    workers: int = 8

    def validate(self) -> None:
        if self.payment_sync not in PAYMENT_SYNC:
            raise ValueError(f"payment_sync must be one of {PAYMENT_SYNC}")
        if self.system_of_record not in SYSTEMS_OF_RECORD:
            raise ValueError(f"system_of_record must be one of {SYSTEMS_OF_RECORD}")
        if self.terms_days not in (0, 15, 30, 45, 60):
            raise ValueError("terms_days must be one of 0 (due on receipt), 15, 30, 45, 60")
        if self.poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not 0 <= self.workers <= 64:
            raise ValueError("workers must be a whole number from 0 to 64")
        for name in CONCURRENCY:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
                raise ValueError(f"{name} must be a whole number from 0 (no bound) to 1000")
        for name in ("retry_wall_floor", "retry_wall_cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
                raise ValueError(f"{name} must be a number of seconds from 0 to 3600")
        if not isinstance(self.bill_on_activation, bool):
            raise ValueError("bill_on_activation must be true or false")
        if isinstance(self.billing_run_hour, bool) or not isinstance(self.billing_run_hour, int) \
                or not 0 <= self.billing_run_hour <= 23:
            raise ValueError("billing_run_hour must be a whole UTC hour, 0 to 23")

    def update(self, changes: dict[str, Any]) -> None:
        unknown = [key for key in changes if key not in self.__dataclass_fields__]
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}")
        before = {key: getattr(self, key) for key in changes}
        for key, value in changes.items():
            setattr(self, key, value)
        try:
            self.validate()
        except ValueError:
            for key, value in before.items():   # all or nothing: a refused change leaves the settings as they were
                setattr(self, key, value)
            raise

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        for secret in SECRETS:
            out[secret] = "***"
        return out

    def control_headers(self) -> dict[str, str]:
        return {"X-Sim-Token": self.control_token} if self.control_token else {}


SECRETS = ("sf_password", "sf_token", "sf_client_secret", "stripe_key", "avalara_license", "erp_consumer_secret",
           "erp_token_secret", "control_token")
