"""Events, webhook endpoints and signed delivery through the core outbox.

Signature (docs.stripe.com/webhooks#verify-manually; stripe/_webhook.py in stripe-python 16.1.0):
``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 over "{t}.{raw body}" keyed with the whole whsec_
string>``. The outbox calls the signer afresh for every attempt, so each retry carries a fresh ``t``
(the SDK rejects ``t`` older than 300 s).

Retry schedules (delays after each failed attempt, simulated seconds):
- ``sandbox``: "retries 3 times over a few hours" (docs.stripe.com/webhooks, sandbox note);
- ``live``: "exponential backoff for up to three days" (docs.stripe.com/webhooks/process-undelivered-events).
Selectable per endpoint through ``POST /_sim/stripe/webhook-schedule``.
"""
from __future__ import annotations

import fnmatch
import hashlib
import hmac
from datetime import datetime
from typing import Any

from simulators.core.clock import wall_seconds
from simulators.core.jsonutil import dumpb

from .. import params as P
from ..errors import InvalidRequest
from .base import API_VERSION, Resource

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"   # what Stripe's webhook deliveries send

SCHEDULES: dict[str, list[float]] = {
    "sandbox": [3600.0, 2 * 3600.0, 4 * 3600.0],
    "live": [60.0, 300.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 12 * 3600.0, 24 * 3600.0, 24 * 3600.0],
}


def sign(body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("utf-8") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class EventStore(Resource):
    """Events (``emit``), their webhook deliveries, and webhook endpoints.

    An event's ``request`` (``{id, idempotency_key}``) is the API request that caused it. State
    does not know the request: the route opens a batch (``hold``) before the operation and hands the
    request to ``publish`` after it, which stamps the batch's events and enqueues their deliveries.
    Events outside a batch (scheduled jobs, the control plane) go out at once with a null request.
    """

    def __init__(self, hub):
        super().__init__(hub)
        self.outbox = self.sim.outbox(signer=self._signer)
        # settings set through /_sim/stripe: signature_clock, schedules (endpoint or "*" -> schedule), api_version
        self.store = self.sim.store(lambda: {"settings": {}})
        self.held: list[tuple[dict[str, Any], list[dict[str, Any]]]] | None = None
        hub.objects.decorate = self.decorate

    def _signer(self, body: bytes, now: datetime, endpoint: dict[str, Any]) -> dict[str, str]:
        """``t`` is the simulated time of the attempt by default; with the ``wall`` signing clock
        (``/_sim/stripe/webhook-signing``, or the ``signature_clock`` option) it is the wall clock's,
        for receivers that check the SDK's 300-second tolerance against their own clock."""
        wall = self.store.data["settings"].get("signature_clock", self.options.get("signature_clock")) == "wall"
        stamp = int(wall_seconds()) if wall else int(now.timestamp())
        return {"Stripe-Signature": sign(body, endpoint["secret"], stamp), "User-Agent": USER_AGENT}

    def signature_clock(self, clock: str | None = None) -> str:
        if clock is not None:
            if clock not in ("simulated", "wall"):
                raise ValueError("clock must be simulated or wall")
            self.store.data["settings"]["signature_clock"] = clock
        return self.store.data["settings"].get("signature_clock", self.options.get("signature_clock") or "simulated")

    # ---- events ----------------------------------------------------------------------------
    def emit(self, etype: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        evt = {
            "id": self.db.new_id("evt"), "object": "event", "api_version": self.account_version(),
            "created": self.db.now(), "data": {"object": self.db.snapshot(self.db.render(obj))},
            "livemode": False, "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None}, "type": etype,
        }
        if previous:
            evt["data"]["previous_attributes"] = previous
        self.db.put(evt)
        targets = self._targets(evt)
        if self.held is None:
            self._deliver(evt, targets)
        else:
            self.held.append((evt, targets))
        return evt

    def hold(self) -> None:
        """Start a batch: the events emitted until ``publish`` wait for their request."""
        self.held = []

    def publish(self, request_id: str | None, idempotency_key: str | None) -> None:
        """End the batch: stamp its events with the request that caused them and deliver them."""
        held, self.held = self.held or [], None
        for evt, targets in held:
            evt["request"] = {"id": request_id, "idempotency_key": idempotency_key}
            self._deliver(evt, targets)

    def account_version(self) -> str:
        return self.store.data["settings"].get("api_version") or self.options.get("api_version") or API_VERSION

    def _targets(self, evt: dict[str, Any]) -> list[dict[str, Any]]:
        """The enabled endpoints listening to this event (as they are when it happens)."""
        targets = [we for we in self._endpoints() if we["status"] == "enabled"
                   and any(p == "*" or fnmatch.fnmatchcase(evt["type"], p) for p in we["enabled_events"])]
        evt["pending_webhooks"] = len(targets)
        return targets

    def _deliver(self, evt: dict[str, Any], targets: list[dict[str, Any]]) -> None:
        for we in targets:
            body = dict(evt, api_version=we.get("api_version") or evt["api_version"])
            raw = dumpb(body, indent=True)   # pretty-printed, as Stripe sends its events
            cfg = self.store.data["settings"].get("schedules", {})
            sched = cfg.get(we["id"]) or cfg.get("*") or self.options.get("webhook_schedule") or "sandbox"
            delays = SCHEDULES[sched] if isinstance(sched, str) else list(sched)
            endpoint = {"id": we["id"], "url": we["url"], "secret": we["secret"]}
            self.outbox.enqueue(endpoint, raw, evt["id"], evt["type"], delays)

    def _endpoints(self) -> list[dict[str, Any]]:
        objs, order = self.db.d["objects"], self.db.d["order"]
        return [objs[i] for i in order.get("webhook_endpoint", []) if i in objs and not objs[i].get("deleted")]

    def decorate(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("object") == "event" and obj.get("pending_webhooks"):
            return dict(obj, pending_webhooks=self.outbox.pending_count(obj["id"]))
        return obj

    def delivery_success(self, event_id: str) -> bool:
        return all(d.status == "delivered" for d in self.outbox.deliveries(event_id=event_id)
                   if d.duplicate_of is None)

    def list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        etype = P.string(params, "type")
        types = params.get("types")
        if types is not None and not isinstance(types, list):
            types = [types]
        if types and etype:
            raise InvalidRequest("You may only specify one of these parameters: type, types.", param="types")
        if types and len(types) > 20:
            raise InvalidRequest("You may pass at most 20 types.", param="types")
        success = P.boolean(params, "delivery_success")

        def where(evt: dict[str, Any]) -> bool:
            if etype and not fnmatch.fnmatchcase(evt["type"], etype):
                return False
            if types and evt["type"] not in types:
                return False
            if success is not None and self.delivery_success(evt["id"]) != success:
                return False
            return True

        return self.db.list_objects("event", params, "/v1/events", where)

    # ---- webhook endpoints -------------------------------------------------------------------
    def create_webhook_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        url = P.string(params, "url", required=True)
        if not url.startswith(("http://", "https://")):
            raise InvalidRequest("Invalid URL: An explicit scheme (such as https) must be provided.", param="url")
        events = params.get("enabled_events")
        if not events:
            raise InvalidRequest("Missing required param: enabled_events.", param="enabled_events",
                                 code="parameter_missing")
        events = events if isinstance(events, list) else [events]
        we = {
            "id": self.db.new_id("we"), "object": "webhook_endpoint",
            "api_version": P.string(params, "api_version"), "application": None, "created": self.db.now(),
            "description": P.string(params, "description"), "enabled_events": events, "livemode": False,
            "metadata": P.metadata(params), "secret": "whsec_" + self.sim.secrets.token(32),
            "status": "enabled", "url": url,
        }
        self.db.put(we)
        return we

    def public_endpoint(self, we: dict[str, Any]) -> dict[str, Any]:
        """Stripe returns ``secret`` only in the create response."""
        return {k: v for k, v in we.items() if k != "secret"}

    def update_webhook_endpoint(self, we: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if "url" in params:
            we["url"] = P.string(params, "url", required=True)
        if "enabled_events" in params:
            ev = params["enabled_events"]
            we["enabled_events"] = ev if isinstance(ev, list) else [ev]
        if "description" in params:
            we["description"] = params["description"] or None
        disabled = P.boolean(params, "disabled")
        if disabled is not None:
            we["status"] = "disabled" if disabled else "enabled"
        we["metadata"] = P.metadata(params, we["metadata"])
        return we

    def schedules(self) -> dict[str, Any]:
        return dict(self.store.data["settings"].get("schedules", {}))

    def set_schedule(self, endpoint: str, schedule: Any) -> dict[str, Any]:
        if isinstance(schedule, str) and schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {sorted(SCHEDULES)} or a list of delays in seconds")
        if isinstance(schedule, list) and not all(isinstance(x, (int, float)) and x >= 0 for x in schedule):
            raise ValueError("a custom schedule is a list of non-negative delays in seconds")
        self.store.data["settings"].setdefault("schedules", {})[endpoint] = schedule
        return dict(self.store.data["settings"]["schedules"])
