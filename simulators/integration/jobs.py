"""A durable-in-spirit work queue on the simulated clock: every unit of integration work is a
job; transient failures (429, 5xx, UNABLE_TO_LOCK_ROW, expired session, dropped connection) are
retried with back-off in simulated time; what still fails lands in the dead-letter list, visible
through ``GET /_integration/dead-letters`` and retryable from there. Nothing is dropped silently.

Jobs are resumable: a job made of several steps records each finished step as a checkpoint
(``checkpoint(scope, step, value)``, kept in the integration's store under ``checkpoints``), so a
retry continues where the last attempt stopped instead of starting over. An attempt that finished
at least one new step counts as progress: the back-off starts again from its first delay (at most
``MAX_ATTEMPTS`` attempts in all), so a long job under a steady trickle of faults is never given up
while it is still moving.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from ..core.clock import iso


class Retryable(Exception):
    """A transient failure: try again later."""


class Permanent(Exception):
    """A failure that retrying will not fix: dead-letter it at once."""


class AlreadyExists(Retryable):
    """The system refused a create because the record is already there (ERP ``DUP_RCRD``,
    Salesforce ``DUPLICATE_VALUE``): another worker or an earlier attempt won the race. Callers
    that can, re-read the record and carry on when it matches; one that escapes a job is retried
    like any transient failure, and the retry's look-before-create finds the record."""


MAX_ATTEMPTS = 60   # attempts in all for one job, progress or not (the schedule restarts on progress)


class WorkQueue:
    def __init__(self, sim, config, store):
        self.sim = sim
        self.config = config
        self.store = store
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        self._progress = False

    # ---- checkpoints ---------------------------------------------------------------------------
    def checkpoints(self, scope: str) -> dict[str, Any]:
        """The finished steps of one piece of work (e.g. ``publish:<order id>``)."""
        return self.data.setdefault("checkpoints", {}).setdefault(scope, {})

    def checkpoint(self, scope: str, step: str, value: Any = True) -> Any:
        """Record a finished step (its result: an id, a document code) and count it as progress."""
        steps = self.checkpoints(scope)
        if steps.get(step) != value:
            steps[step] = value
            self._progress = True
        return value

    def forget(self, scope: str) -> None:
        self.data.setdefault("checkpoints", {}).pop(scope, None)

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
        job["total_attempts"] = job.get("total_attempts", 0) + 1
        self._progress = False
        try:
            self.handlers[job["kind"]](job["payload"])
        except Retryable as exc:
            job["errors"] = (job["errors"] + [f"{iso(self.sim.now())} {exc}"])[-10:]
            schedule = self.config.retry_schedule
            if self._progress:   # it got further than last time: back off from the start again
                job["attempts"] = 1
                job["progressed"] = job.get("progressed", 0) + 1
            if job["attempts"] <= len(schedule) and job["total_attempts"] < MAX_ATTEMPTS:
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
        self.data["stats"]["dead_retried"] = self.data["stats"].get("dead_retried", 0) + len(again)
        return len(again)
