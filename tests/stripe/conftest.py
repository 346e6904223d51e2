"""Helpers for the Stripe fake's tests: an SDK client bound to the fake and a webhook receiver
that verifies every delivery with the SDK's own ``construct_event``."""
from __future__ import annotations

import threading

import pytest
import stripe
from flask import Flask, request

from tests.conftest import free_port, shared_harness

KEY = "sk_test_o2c"
RECEIVER_HOST = "hooks.o2c.test"


def client_for(base: str, retries: int = 0) -> stripe.StripeClient:
    # the SDK's requests client only: left to itself, each client also builds an httpx client for
    # async calls (an SSL context loaded from disk, a few ms per test) that these tests never make
    return stripe.StripeClient(KEY, base_addresses={"api": base, "files": base}, max_network_retries=retries,
                               http_client=stripe.RequestsClient())


class Receiver:
    """A webhook receiver: verifies Stripe-Signature and records events; can be told to fail."""

    def __init__(self):
        self.secret: str | None = None
        self.events: list[dict] = []
        self.headers: list[str] = []
        self.bodies: list[bytes] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        self.app = Flask("receiver")
        self.app.add_url_rule("/stripe", view_func=self._hook, methods=["POST"])

    def _hook(self):
        payload = request.get_data()
        header = request.headers.get("Stripe-Signature", "")
        # tolerance=None: the simulated clock's t is not wall-clock time; freshness is checked by the tests
        event = stripe.Webhook.construct_event(payload, header, self.secret, tolerance=None)
        with self.lock:
            self.headers.append(header)
            self.bodies.append(payload)
            if self.fail_next:
                self.fail_next -= 1
                return "boom", 500
            self.events.append(event.to_dict())
        return "", 200

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


@pytest.fixture
def harness(_harness_pool):
    """Only the Stripe fake, shared by the session and reset before each test (tests/conftest.py)."""
    yield from shared_harness(_harness_pool, ("stripe",))


@pytest.fixture(scope="session")
def live_session(_live_pool):
    """The session's shared live servers (tests/conftest.py), of which these tests use the Stripe fake."""
    return _live_pool(("stripe",))


@pytest.fixture
def live(live_session):
    live_session.reset()
    live_session.sync_clocks()
    return live_session


@pytest.fixture
def sc(harness):
    return client_for(harness.url("stripe"))


@pytest.fixture
def receiver(harness, sc):
    r = Receiver()
    harness.add_app("receiver", r.app, [RECEIVER_HOST])
    we = sc.v1.webhook_endpoints.create({"url": f"https://{RECEIVER_HOST}/stripe", "enabled_events": ["*"]})
    r.secret = we.secret
    r.endpoint_id = we.id
    return r
