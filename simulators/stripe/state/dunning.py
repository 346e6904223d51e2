"""Smart-Retries-like dunning of invoices (settings ``dunning``, ``/_sim/stripe/dunning``): after a failed
automatic attempt, ``retries`` more attempts spread evenly over ``window_days``; none for hard
declines; after the last failure the invoice stays open (``past_due``) or is marked uncollectible,
and a subscription becomes ``subscription_final``."""
from __future__ import annotations

from typing import Any

from .base import Resource

DEFAULT_DUNNING = {"retries": 8, "window_days": 14, "final": "past_due", "subscription_final": "canceled"}


class DunningMixin(Resource):
    def dunning(self) -> dict[str, Any]:
        return dict(DEFAULT_DUNNING, **self.options.get("dunning", {}), **self.store.data["dunning"])

    def _plan_retry(self, inv: dict[str, Any], pm: dict[str, Any], charge: dict[str, Any]) -> None:
        cfg = self.dunning()
        info = self.db.internal(inv["id"])
        first = info.setdefault("first_failure", self.db.now())
        retries_done = inv["attempt_count"] - 1
        hard = self.db.internal(charge["id"]).get("hard")
        if hard or retries_done >= int(cfg["retries"]):
            if cfg["final"] == "uncollectible" and not self.hub.invoice_payments.attached_payments(inv, "open"):
                self.mark_uncollectible(inv)
            self.hub.billing.on_dunning_exhausted(inv)
            return
        step = int(cfg["window_days"]) * 86400 / int(cfg["retries"])
        when = int(first + step * (retries_done + 1))
        inv["next_payment_attempt"] = when
        self._schedule(when, "retry", inv["id"], after_attempt=inv["attempt_count"], pm=pm["id"])

    def set_dunning(self, cfg: dict[str, Any]) -> dict[str, Any]:
        out = self.dunning()
        for key in ("retries", "window_days"):
            if key in cfg:
                if not isinstance(cfg[key], (int, float)) or cfg[key] < (0 if key == "retries" else 1):
                    raise ValueError(f"{key} must be a positive number")
                out[key] = cfg[key]
        if "final" in cfg:
            if cfg["final"] not in ("past_due", "uncollectible"):
                raise ValueError("final must be past_due or uncollectible")
            out["final"] = cfg["final"]
        if "subscription_final" in cfg:   # what a subscription becomes after the last retry fails
            if cfg["subscription_final"] not in ("canceled", "unpaid", "past_due"):
                raise ValueError("subscription_final must be canceled, unpaid or past_due")
            out["subscription_final"] = cfg["subscription_final"]
        self.store.data["dunning"] = out
        return out
