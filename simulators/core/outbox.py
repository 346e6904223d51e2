"""Outbox and webhook delivery: the asynchronous half of every fake.

A delivery is a signed POST of a fixed body to an endpoint URL. It is attempted as a job on the
simulated clock; a non-2xx answer, a timeout or a refused connection schedules the next attempt
from the vendor's retry schedule; every attempt is recorded (simulated time, status, latency).

The vendor supplies a ``signer(body, now, endpoint) -> headers`` hook, called afresh for every
attempt (Stripe re-signs each retry with a new ``t``).

Delivery faults come from the fake's ``FaultEngine`` under the operation ``webhook.deliver``
(match attributes ``endpoint`` and ``event_type``): ``drop`` loses the attempt in transit (it
counts as a timeout and is retried), ``latency`` delays it in simulated time, ``duplicate``
delivers the body twice, ``reorder`` holds it back until the next delivery to the same endpoint
has gone out.

The outbox keeps at most ``keep`` deliveries (10,000 by default). Over that, the oldest settled ones
(delivered or failed) go first; if every kept delivery is still waiting (a receiver down for long),
the oldest waiting one is abandoned: its attempts stop, and ``abandoned`` counts it (``/_sim/outbox``
reports the count), so nothing is let go silently.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import requests
import requests.adapters

from .clock import SimClock, iso
from .faults import FaultEngine

Signer = Callable[[bytes, datetime, dict[str, Any]], dict[str, str]]
Transport = Callable[[str, bytes, dict[str, str], float], tuple[int | None, float, str | None]]

HOLD_LIMIT = timedelta(minutes=5)  # a reordered delivery goes out after this even if nothing overtakes it


POOL_HOSTS, POOL_PER_HOST = 8, 4   # kept-alive connections per delivering thread: hosts, connections per host
_local = threading.local()


def _session() -> requests.Session:
    """The delivering thread's own session (a live fake delivers from its one clock thread): its
    connections are kept alive between deliveries, bounded by ``POOL_HOSTS`` x ``POOL_PER_HOST``. No
    retries inside (a failed attempt is the outbox's to retry, on the vendor's schedule) and no proxy
    or .netrc from the environment: the vendor posts straight to the endpoint (a CA bundle named by
    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` is still trusted, as before). Still ``requests``, so
    ``responses`` intercepts it in-process, and it resolves hosts through ``socket.getaddrinfo``, so
    the network guard (netguard.py) applies."""
    s = getattr(_local, "session", None)
    if s is None:
        s = requests.Session()
        s.trust_env = False
        s.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        adapter = requests.adapters.HTTPAdapter(pool_connections=POOL_HOSTS, pool_maxsize=POOL_PER_HOST)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        _local.session = s
    return s


def http_transport(url: str, body: bytes, headers: dict[str, str], timeout: float):
    """POST with requests (intercepted by ``responses`` in-process). Returns (status, ms, error)."""
    try:
        resp = _session().post(url, data=body, headers=headers, timeout=timeout)
        return resp.status_code, resp.elapsed.total_seconds() * 1000, None
    except requests.RequestException as exc:
        return None, 0.0, type(exc).__name__


@dataclass
class Delivery:
    id: str
    endpoint: dict[str, Any]
    body: bytes
    event_id: str
    event_type: str
    created_at: datetime
    schedule: list[float]
    status: str = "pending"  # pending | held | delivered | failed
    attempts: list[dict[str, Any]] = field(default_factory=list)
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    duplicate_of: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "endpoint_id": self.endpoint.get("id"), "url": self.endpoint.get("url"),
            "event_id": self.event_id, "event_type": self.event_type, "status": self.status,
            "created_at": iso(self.created_at), "next_attempt_at": iso(self.next_attempt_at),
            "delivered_at": iso(self.delivered_at), "attempts": list(self.attempts),
            "duplicate_of": self.duplicate_of,
        }


class Outbox:
    def __init__(self, clock: SimClock, owner: str, faults: FaultEngine, signer: Signer | None = None,
                 transport: Transport = http_transport, timeout: float = 10.0, keep: int = 10_000,
                 on_settled: Callable[[Delivery], None] | None = None):
        self.clock = clock
        self.owner = owner
        self.faults = faults
        self.signer = signer or (lambda body, now, ep: {})
        self.transport = transport
        self.timeout = timeout
        self.on_settled = on_settled
        self._lock = threading.RLock()
        self._deliveries: OrderedDict[str, Delivery] = OrderedDict()
        self._keep = keep
        self._settled: deque[str] = deque()   # ids in the order they settled: the first to trim
        self.abandoned = 0                    # waiting deliveries let go to keep within ``keep``
        self._held: dict[str, list[Delivery]] = {}
        self._jobs: dict[str, Any] = {}
        self._n = 0

    # ---- enqueue ---------------------------------------------------------------------
    def enqueue(self, endpoint: dict[str, Any], body: bytes, event_id: str, event_type: str,
                schedule: list[float], base_delay: float = 0.0) -> Delivery:
        with self._lock:
            self._n += 1
            d = Delivery(id=f"{self.owner}_dlv_{self._n}", endpoint=endpoint, body=body,
                         event_id=event_id, event_type=event_type, created_at=self.clock.now(),
                         schedule=list(schedule))
            self._deliveries[d.id] = d
            self._trim()
        action = self.faults.decide("webhook.deliver", attrs={"endpoint": str(endpoint.get("id")),
                                                               "event_type": event_type})
        delay = base_delay + (action.latency_ms / 1000 if action else 0.0)
        if action and action.duplicate:
            with self._lock:
                self._n += 1
                twin = Delivery(id=f"{self.owner}_dlv_{self._n}", endpoint=endpoint, body=body,
                                event_id=event_id, event_type=event_type, created_at=d.created_at,
                                schedule=list(schedule), duplicate_of=d.id)
                self._deliveries[twin.id] = twin
                self._trim()
            self._schedule(twin, delay)
        if action and action.reorder:
            self._hold(d)
        else:
            self._schedule(d, delay, drop_first=bool(action and action.drop))
        return d

    def _trim(self) -> None:
        """Within ``keep``: the oldest settled deliveries first, then (counted) the oldest waiting ones."""
        while len(self._deliveries) > self._keep and self._settled:
            self._deliveries.pop(self._settled.popleft(), None)
        while len(self._deliveries) > self._keep:
            _, d = self._deliveries.popitem(last=False)
            job = self._jobs.pop(d.id, None)
            if job is not None:
                job.cancelled = True
            held = self._held.get(str(d.endpoint.get("id")))
            if held and d in held:
                held.remove(d)
            d.status, d.next_attempt_at = "abandoned", None
            self.abandoned += 1

    def _schedule(self, d: Delivery, delay: float, drop_first: bool = False) -> None:
        with self._lock:
            d.status = "pending"
            d.next_attempt_at = self.clock.now() + timedelta(seconds=delay)
            self._jobs[d.id] = self.clock.schedule(d.next_attempt_at, lambda: self._attempt(d, drop_first),
                                                   name=f"deliver {d.event_type} -> {d.endpoint.get('url')}",
                                                   owner=self.owner)

    def _hold(self, d: Delivery) -> None:
        key = str(d.endpoint.get("id"))
        with self._lock:
            d.status = "held"
            self._held.setdefault(key, []).append(d)
            d.next_attempt_at = self.clock.now() + HOLD_LIMIT
            self._jobs[d.id] = self.clock.schedule(HOLD_LIMIT, lambda: self._release(key), name="release held",
                                                   owner=self.owner)

    def _release(self, key: str) -> None:
        with self._lock:
            held = self._held.pop(key, [])
        for d in held:
            self._schedule(d, 0.0)

    # ---- attempts --------------------------------------------------------------------
    def _attempt(self, d: Delivery, dropped: bool = False) -> None:
        with self._lock:
            if d.status not in ("pending",):
                return
            self._jobs.pop(d.id, None)
        now = self.clock.now()
        if dropped:
            status, ms, error = None, 0.0, "dropped in transit (fault)"
        elif not d.endpoint.get("url"):
            status, ms, error = None, 0.0, "endpoint has no url"
        else:
            headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": f"o2c-{self.owner}/1.0"}
            headers.update(self.signer(d.body, now, d.endpoint))
            status, ms, error = self.transport(d.endpoint["url"], d.body, headers, self.timeout)
        d.attempts.append({"at": iso(now), "status": status, "latency_ms": round(ms, 3), "error": error})
        ok = status is not None and 200 <= status < 300
        if ok:
            d.status, d.delivered_at, d.next_attempt_at = "delivered", now, None
        elif len(d.attempts) <= len(d.schedule):
            self._schedule(d, d.schedule[len(d.attempts) - 1])
        else:
            d.status, d.next_attempt_at = "failed", None
        key = str(d.endpoint.get("id"))
        if self._held.get(key):
            self._release(key)
        if d.status in ("delivered", "failed"):
            with self._lock:
                if d.id in self._deliveries:
                    self._settled.append(d.id)
            if self.on_settled:
                self.on_settled(d)

    def deliver_now(self) -> int:
        """Attempt every pending or held delivery at once, ignoring delays ('deliver now')."""
        with self._lock:
            waiting = [d for d in self._deliveries.values() if d.status in ("pending", "held")]
            for d in waiting:
                job = self._jobs.pop(d.id, None)
                if job is not None:
                    job.cancelled = True
            self._held.clear()
            for d in waiting:
                d.status = "pending"
        for d in waiting:
            self._attempt(d)
        return len(waiting)

    # ---- inspection ------------------------------------------------------------------
    def deliveries(self, status: str | None = None, event_id: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries.values()
                    if (status is None or d.status == status) and (event_id is None or d.event_id == event_id)]

    def pending_count(self, event_id: str | None = None) -> int:
        return len([d for d in self.deliveries(event_id=event_id) if d.status in ("pending", "held")])

    def reset(self) -> None:
        with self._lock:
            for job in self._jobs.values():
                job.cancelled = True
            self._jobs.clear()
            self._held.clear()
            self._deliveries = OrderedDict()   # new containers: the old ones' memory goes back at once
            self._settled = deque()
            self.abandoned = 0
            self._n = 0
