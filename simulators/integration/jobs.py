"""A durable-in-spirit work queue on the simulated clock: every unit of integration work is a
job; transient failures (429, 5xx, UNABLE_TO_LOCK_ROW, expired session, dropped connection) are
retried with back-off in simulated time; what still fails lands in the dead-letter list, visible
through ``GET /_integration/dead-letters`` and retryable from there. Nothing is dropped silently.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from ..core.clock import iso


class Retryable(Exception):
    """A transient failure: try again later."""


class Permanent(Exception):
    """A failure that retrying will not fix: dead-letter it at once."""


class WorkQueue:
    def __init__(self, sim, config, store):
        self.sim = sim
        self.config = config
        self.store = store
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {}

    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    def handler(self, kind: str):
        def deco(fn):
            self.handlers[kind] = fn
            return fn
        return deco

    def submit(self, kind: str, key: str, payload: dict[str, Any] | None = None, delay: float = 0.0) -> bool:
        """Queue work; a job of the same kind and key already waiting is not queued twice."""
        pending = self.data["pending"]
        job_key = f"{kind}:{key}"
        if job_key in pending:
            return False
        pending[job_key] = {"kind": kind, "key": key, "payload": payload or {}, "attempts": 0,
                            "first_at": iso(self.sim.now()), "errors": []}
        self.sim.clock.schedule(delay, lambda: self._run(job_key), name=f"integration {job_key}", owner=self.sim.name)
        return True

    def _run(self, job_key: str) -> None:
        job = self.data["pending"].get(job_key)
        if job is None:
            return
        job["attempts"] += 1
        try:
            self.handlers[job["kind"]](job["payload"])
        except Retryable as exc:
            job["errors"] = (job["errors"] + [f"{iso(self.sim.now())} {exc}"])[-10:]
            schedule = self.config.retry_schedule
            if job["attempts"] <= len(schedule):
                self.data["stats"]["retries"] += 1
                self.sim.clock.schedule(schedule[job["attempts"] - 1], lambda: self._run(job_key),
                                        name=f"retry {job_key}", owner=self.sim.name)
                return
            self._dead(job_key, f"gave up after {job['attempts']} attempts: {exc}")
            return
        except Exception as exc:  # Permanent or a bug: never lose the work
            detail = str(exc) if isinstance(exc, Permanent) else "".join(
                traceback.format_exception_only(type(exc), exc)).strip()
            self._dead(job_key, detail)
            return
        self.data["pending"].pop(job_key, None)
        self.data["stats"]["done"] += 1

    def _dead(self, job_key: str, reason: str) -> None:
        job = self.data["pending"].pop(job_key)
        job.update(reason=reason, dead_at=iso(self.sim.now()), id=f"dl_{len(self.data['dead']) + 1}")
        self.data["dead"].append(job)
        self.data["stats"]["dead"] += 1

    def retry_dead(self, dead_id: str | None = None) -> int:
        keep, again = [], []
        for job in self.data["dead"]:
            (again if dead_id in (None, job["id"]) else keep).append(job)
        self.data["dead"] = keep
        for job in again:
            self.submit(job["kind"], job["key"], job["payload"])
        return len(again)
