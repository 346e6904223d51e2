"""Unfinished work: what the reference integration still has queued, is retrying, or gave up on
(dead letters), read from its control plane (``/_integration/status``, ``/pending``,
``/dead-letters``; the ``X-Sim-Token`` header when the run has a control token).

A user's own integration has no such plane: then there is nothing to read here, and an order the
integration never finished is a failure of the other checks all the same. With it, each job is
tied to the order it works for (order, bill, publish and cancel jobs are keyed by the Salesforce
order id; a Stripe event job by the invoice its event is about), so the report can tell the
other checks' failures for that order apart as *unfinished* rather than lost or altered.
"""
from __future__ import annotations

import os
from typing import Any

import requests

from .model import UNFINISHED, Check, Endpoints
from .snapshot import Snapshot


def _jobs(body: Any, *names: str) -> list[dict[str, Any]]:
    for n in names:
        if isinstance(body, dict) and n in body:
            body = body[n]
            break
    if isinstance(body, dict):
        body = list(body.values())
    return [j for j in body or [] if isinstance(j, dict)]


def read(ep: Endpoints) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(status, pending jobs, dead letters) from the integration's control plane."""
    http = requests.Session()
    http.trust_env = False   # loopback: no proxy from the environment (its CA bundle still counts)
    http.verify = ep.ca_bundle or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    if ep.control_token:
        http.headers["X-Sim-Token"] = ep.control_token
    base = ep.integration.rstrip("/")

    def get(path: str) -> Any:
        resp = http.get(f"{base}/_integration/{path}", timeout=30)
        resp.raise_for_status()
        return resp.json()
    return get("status"), _jobs(get("pending"), "pending", "jobs"), _jobs(get("dead-letters"), "dead_letters", "dead")


def _state(job: dict[str, Any], dead: bool) -> str:
    if dead:
        return "dead-lettered"
    if job.get("state") or job.get("status"):
        return str(job.get("state") or job.get("status"))
    # ``attempts`` counts the attempt under way too: a job is retrying once an attempt has failed
    return "retrying" if job.get("errors") else "in flight"


def _routine(job: dict[str, Any]) -> bool:
    """The polling integration's periodic read of Stripe's events while it is under way and has not
    failed: the integration's routine, not work left undone (a poll that fails is reported)."""
    return job.get("kind") == "poll" and not job.get("errors")


def _order_of_job(s: Snapshot, job: dict[str, Any]) -> str | None:
    """The order key a job works for, read from the systems (never from the integration's insides)."""
    payload = job.get("payload") or {}
    for ref in (payload.get("order_id"), job.get("key")):
        if isinstance(ref, str) and ref in s.order_by_id:
            return s.key(s.order_by_id[ref])
    event_id = payload.get("event_id") or (job.get("key") if str(job.get("key", "")).startswith("evt_") else None)
    if not event_id:
        return None
    try:
        obj = s.gw.call(lambda c: c.v1.events.retrieve(event_id)).to_dict()["data"]["object"]
    except Exception:  # noqa: BLE001 - an event Stripe no longer has: the job stays order-less
        return None
    si_id = obj.get("id") if obj.get("object") == "invoice" else obj.get("invoice")
    if obj.get("object") == "charge":
        si_id = next((p["invoice"] for p in s.invoice_payments
                      if (p.get("payment") or {}).get("payment_intent") == obj.get("payment_intent")), None)
    return s.key_of_invoice(s.inv_of_si.get(si_id)) if si_id else None


def work_unfinished(ep: Endpoints, s: Snapshot) -> tuple[Check, set[str]]:
    """The check, and the order keys that have unfinished work."""
    c = Check("work unfinished", "the integration has no job queued, in flight, retrying or dead-lettered "
              "(read only when its control plane is given; a user's own integration's unfinished orders "
              "fail the other checks)", sources="the integration's /_integration/status, /pending, /dead-letters")
    orders: set[str] = set()
    if not ep.integration:
        return c, orders
    try:
        status, pending, dead = read(ep)
        routine = any(_routine(j) for j in pending)
    except (requests.RequestException, ValueError) as exc:
        c.checked = 1
        c.fail(f"the integration's control plane at {ep.integration} could not be read: {exc}", status=UNFINISHED)
        return c, orders
    pending = [j for j in pending if not _routine(j)]
    c.checked = len(pending) + len(dead) or 1
    for job, is_dead in [(j, False) for j in pending] + [(j, True) for j in dead]:
        key = _order_of_job(s, job)
        if key:
            orders.add(key)
        errors = job.get("errors") or []
        why = job.get("reason") if is_dead else (errors[-1] if errors else job.get("last_error"))
        label = f"{job.get('kind')} {job.get('key')}" + (f" (dead letter {job['id']})" if is_dead and job.get("id") else "")
        c.fail(f"{label}: {_state(job, is_dead)}" + (f" for order {key}" if key else "")
               + f", {job.get('attempts', 0)} attempt(s)" + (f"; last error: {str(why)[:400]}" if why else ""),
               key, UNFINISHED)
    if not pending and not dead and (status.get("pending") or status.get("dead_letters")) and not routine:
        status = read(ep)[0]   # the count is read before the lists: a job may have finished in between
    if not pending and not dead and (status.get("pending") or status.get("dead_letters")) and not routine:
        c.fail(f"the integration reports {status.get('pending')} pending and {status.get('dead_letters')} "
               f"dead-lettered job(s) but lists none", status=UNFINISHED)
    return c, orders
