"""CPU per request of the in-process transport (no sockets): representative SDK calls routed by
``responses`` to the fakes' WSGI apps, and the same requests straight into the apps for reference.

    .venv/bin/python -m benchmarks.inprocess_request [--n 1000] [--rounds 3] [--profile CASE]

Cases: Stripe GET a customer with the official ``stripe`` SDK and with a plain ``requests.Session``
(trust_env off, as the harness's own session), a Salesforce SOQL query through ``simple-salesforce``,
and an AvaTax SalesOrder estimate (POST /api/v2/transactions/create) through ``requests``. Each case
runs ``--n`` requests per round through the transport of this tree (``transport``), through the
transport as it was before its per-request work was trimmed (``previous``: one ``responses`` callback
per method and werkzeug's ``EnvironBuilder``, kept here only to compare side by side in one run), and
straight into the app with werkzeug's test ``Client`` (``direct``). Rounds alternate between the
transports; the best round of each is printed (the machine may be shared). Bounded: it stops by itself.
``--profile CASE`` prints a cProfile of that case through this tree's transport instead.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from typing import Callable
from urllib.parse import urlsplit

import requests
import responses
import stripe
from simple_salesforce import Salesforce
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app

from benchmarks.fakes_wrk import AVA_AUTH, ESTIMATE  # the same 2-line estimate as the live figures
from simulators.core import netguard, transport
from simulators.core.directives import directives
from simulators.harness import InProcessHarness
from simulators.registry import SERVICES

FAKES = ("stripe", "salesforce", "avalara")
STRIPE_KEY = "sk_test_bench"
SOQL = "SELECT Id, Name FROM Account LIMIT 5"


class PreviousRouter(transport.InProcessRouter):
    """The transport before its per-request work was trimmed: seven ``responses`` callbacks per app
    (one per method) and the environ built by werkzeug's ``EnvironBuilder``. For comparison only."""

    def _register(self, route) -> None:
        pattern, app = route

        def callback(prepared):
            status, headers, content = _previous_call_wsgi(app, prepared)
            drop, _delay, visible = directives(headers.items())
            if drop:
                return requests.exceptions.ConnectionError("Connection aborted: the fake dropped the connection")
            return status, [(k, v) for k, v in visible if k.lower() != "content-length"], content

        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            self._mock.add_callback(method, pattern, callback=callback)

    def start(self) -> "PreviousRouter":
        if self._mock is not None:
            return self
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self._mock.add_passthru(transport.LOOPBACK)
        for route in self._routes:
            self._register(route)
        self._mock.start()
        netguard.on()
        return self


def _previous_call_wsgi(app, prepared):
    split = urlsplit(prepared.url)
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k: (v.decode("latin-1") if isinstance(v, bytes) else v)
               for k, v in prepared.headers.items() if k.lower() not in ("content-length",)}
    builder = EnvironBuilder(
        path=split.path or "/", base_url=f"{split.scheme}://{split.netloc}", query_string=split.query,
        method=prepared.method, headers=headers, data=body or b"", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, resp_headers = run_wsgi_app(app, environ, buffered=True)
    try:
        content = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    return int(status.split(" ", 1)[0]), resp_headers, content


def routed(router_cls, h: InProcessHarness):
    router = router_cls()
    for name, app in h.apps.items():
        router.add(SERVICES[name].hosts, app)
    return router


def setup(h: InProcessHarness) -> dict[str, dict[str, Callable[[], None]]]:
    """{case: {"sdk": call through the transport, "direct": the same request into the app}}"""
    router = routed(transport.InProcessRouter, h).start()
    try:
        client = stripe.StripeClient(STRIPE_KEY)
        customer = client.v1.customers.create(params={"email": "bench@example.test"}).id
        sf = Salesforce(username="integration@o2c.test", password="o2c-password", security_token="O2CTOKEN")
        sf_path = f"/services/data/v{sf.sf_version}/query/"
        sf_headers = {"Authorization": f"Bearer {sf.session_id}"}
    finally:
        router.stop()
    session = requests.Session()
    session.trust_env = False
    stripe_headers = {"Authorization": f"Bearer {STRIPE_KEY}"}
    ava_headers = {"Authorization": AVA_AUTH, "Content-Type": "application/json"}
    body = json.dumps(ESTIMATE)
    stripe_app, sf_app, ava_app = (Client(h.apps[n]) for n in FAKES)

    def ok(status: int) -> None:
        assert 200 <= status < 300, status

    return {
        "stripe_sdk_get_customer": {
            "sdk": lambda: client.v1.customers.retrieve(customer),
            "direct": lambda: ok(stripe_app.get(f"/v1/customers/{customer}", headers=stripe_headers).status_code)},
        "stripe_requests_get_customer": {
            "sdk": lambda: ok(session.get(f"https://api.stripe.com/v1/customers/{customer}",
                                          headers=stripe_headers).status_code),
            "direct": lambda: ok(stripe_app.get(f"/v1/customers/{customer}", headers=stripe_headers).status_code)},
        "salesforce_soql_query": {
            "sdk": lambda: sf.query(SOQL),
            "direct": lambda: ok(sf_app.get(sf_path, query_string={"q": SOQL}, headers=sf_headers).status_code)},
        "avatax_create_estimate": {
            "sdk": lambda: ok(session.post("https://sandbox-rest.avatax.com/api/v2/transactions/create",
                                           data=body, headers=ava_headers).status_code),
            "direct": lambda: ok(ava_app.post("/api/v2/transactions/create", data=body,
                                              headers=ava_headers).status_code)},
    }


def timed(fn: Callable[[], None], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e6


def measure(n: int, rounds: int) -> dict[str, dict[str, float]]:
    h = InProcessHarness(fakes=FAKES, seed=0)
    cases = setup(h)
    out: dict[str, dict[str, float]] = {}
    for case, calls in cases.items():
        best = {"transport": float("inf"), "previous": float("inf"), "direct": float("inf")}
        for _ in range(rounds):
            for label, cls in (("previous", PreviousRouter), ("transport", transport.InProcessRouter)):
                router = routed(cls, h).start()
                try:
                    timed(calls["sdk"], max(n // 10, 20))   # warm up
                    best[label] = min(best[label], timed(calls["sdk"], n))
                finally:
                    router.stop()
            best["direct"] = min(best["direct"], timed(calls["direct"], n))
        out[case] = {k: round(v, 1) for k, v in best.items()}
    return out


def profile(case: str, n: int) -> None:
    h = InProcessHarness(fakes=FAKES, seed=0)
    call = setup(h)[case]["sdk"]
    router = routed(transport.InProcessRouter, h).start()
    try:
        timed(call, 50)
        prof = cProfile.Profile()
        prof.enable()
        timed(call, n)
        prof.disable()
    finally:
        router.stop()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="requests per case per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--profile", choices=["stripe_sdk_get_customer", "stripe_requests_get_customer",
                                          "salesforce_soql_query", "avatax_create_estimate"])
    args = p.parse_args()
    if args.profile:
        profile(args.profile, args.n)
        return
    results = measure(args.n, args.rounds)
    print(f"{'CPU us/request (best of %d rounds of %d)' % (args.rounds, args.n):<44}"
          f"{'transport':>10}{'previous':>10}{'direct':>10}{'saved':>8}")
    for case, r in results.items():
        saved = r["previous"] - r["transport"]
        print(f"{case:<44}{r['transport']:>10}{r['previous']:>10}{r['direct']:>10}{saved:>8.1f}")


if __name__ == "__main__":
    main()
