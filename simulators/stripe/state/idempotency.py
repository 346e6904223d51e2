"""Idempotency keys (docs.stripe.com/api/idempotent_requests, docs.stripe.com/idempotency).

- The first response to a POST with ``Idempotency-Key`` (status, body bytes, headers) is saved once
  the endpoint has started executing -- including errors and 500s -- and replayed byte for byte.
- A reuse with different parameters (or another method/path) is 400 ``idempotency_error``.
- A reuse while the first request is still executing is 409 (the SDK retries 409s).
- Keys are scoped to the API key, at most 255 characters, and pruned 24 simulated hours after
  first use.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import IdempotencyInProgress, IdempotencyMismatch, InvalidRequest
from .base import Resource

TTL = 24 * 3600


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    raw = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class IdempotencyStore(Resource):
    def __init__(self, hub):
        super().__init__(hub)
        self.store = self.sim.store(lambda: {"keys": {}})   # "{api key}|{Idempotency-Key}" -> record

    def begin(self, scope: str, key: str, fp: str) -> dict[str, Any] | None:
        """Returns the saved response to replay, or None after reserving the key for this request."""
        if len(key) > 255:
            raise InvalidRequest("Invalid Idempotency-Key: the key must be at most 255 characters long.",
                                 param="Idempotency-Key")
        now = self.db.now()
        with self.lock:
            table = self.store.data["keys"]
            self._prune(table, now)
            slot = f"{scope}|{key}"
            rec = table.get(slot)
            if rec is not None and rec["created"] + TTL <= now:
                del table[slot]
                rec = None
            if rec is None:
                table[slot] = {"fp": fp, "created": now, "state": "running"}
                return None
            if rec["fp"] != fp:
                raise IdempotencyMismatch(
                    f"Keys for idempotent requests can only be used with the same parameters they were first used "
                    f"with. Try using a key other than '{key}' if you meant to execute a different request.")
            if rec["state"] == "running":
                raise IdempotencyInProgress(
                    "There is currently another in-progress request using this Stripe token (probably means you "
                    "clicked twice). Please try again.", headers={"Stripe-Should-Retry": "true"})
            return rec

    def finish(self, scope: str, key: str, status: int, body: bytes, headers: dict[str, str]) -> None:
        with self.lock:
            rec = self.store.data["keys"].get(f"{scope}|{key}")
            if rec is not None:
                rec.update(state="done", status=status, body=body.decode("utf-8"), headers=headers)

    def abort(self, scope: str, key: str) -> None:
        with self.lock:
            rec = self.store.data["keys"].get(f"{scope}|{key}")
            if rec is not None and rec["state"] == "running":
                del self.store.data["keys"][f"{scope}|{key}"]

    @staticmethod
    def _prune(table: dict[str, Any], now: int) -> None:
        while table:
            first = next(iter(table))
            if table[first]["created"] + TTL > now:
                break
            del table[first]
