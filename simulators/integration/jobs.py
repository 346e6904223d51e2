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

Live, on a running clock (scaled or real), due jobs run on a bounded pool of worker threads
(``Config.workers``) instead of the clock's one thread: independent jobs overlap their waits on the
four systems. Two jobs of the same lane never run at once and run in the order they fell due: the
lane of a job is its order (order, bill, publish and cancel jobs of one Salesforce order), its
Stripe invoice (payment events), or else the job itself. On a frozen clock, and in-process, every
job runs inline on the thread that moves the clock, so ``settle()`` and ``advance()`` stay
deterministic.

Back-off is in simulated time (``Config.retry_schedule``) with a floor in wall time
(``retry_wall_floor``, doubling per attempt up to ``retry_wall_cap``) on a running clock: at x60 a
2-second back-off would otherwise be 33 ms of wall time, a hammering loop against a vendor that is
refusing work. A vendor's ``Retry-After`` (seconds, as the vendors mean it: wall time) is honoured
as the least wait.
"""
from __future__ import annotations

import threading
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..core.clock import iso
from ..clients.errors import Permanent, Retryable


MAX_ATTEMPTS = 60   # attempts in all for one job, progress or not (the schedule restarts on progress)
ORDER_JOBS = ("order", "bill", "publish", "cancel")


def lane_of(job: dict[str, Any], job_key: str) -> str:
    """Jobs of one lane never run at the same time (see the module's notes)."""
    payload = job.get("payload") or {}
    if job.get("kind") in ORDER_JOBS and payload.get("order_id"):
        return f"order:{payload['order_id']}"
    if job.get("kind") == "stripe_event" and payload.get("invoice"):
        return f"invoice:{payload['invoice']}"
    return job_key


class WorkQueue:
    def __init__(self, sim, config, store):
        self.sim = sim
        self.config = config
        self.store = store
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        self._local = threading.local()          # per worker: did this attempt finish a new step?
        self._pool: ThreadPoolExecutor | None = None
        self._lanes: dict[str, deque[str]] = {}  # lane -> job keys waiting behind the running one
        self._lanes_lock = threading.Lock()
        self._carried: dict[str, Any] = {}       # job key -> what the job before it handed over (memory only)
        self.worker_errors: list[str] = []

    # ---- workers ----------------------------------------------------------------------------------
    def start_workers(self, n: int) -> None:
        """Run due jobs on ``n`` worker threads while the clock is running (0: on the clock's thread)."""
        if n > 0 and self._pool is None:
            self._pool = ThreadPoolExecutor(n, thread_name_prefix="integration-worker")

    @property
    def _progress(self) -> bool:
        return getattr(self._local, "progress", False)

    @_progress.setter
    def _progress(self, value: bool) -> None:
        self._local.progress = value

    def _count(self, stat: str, n: int = 1) -> None:
        with self.store.lock:
            stats = self.data["stats"]
            stats[stat] = stats.get(stat, 0) + n

    def _dispatch(self, job_key: str) -> None:
        """The clock says the job is due: run it here (frozen clock, no pool) or on its lane."""
        job = self.data["pending"].get(job_key)
        if job is None:
            return
        if self._pool is None or self.sim.clock.mode == "frozen":
            self._run(job_key)
            return
        lane = lane_of(job, job_key)
        with self._lanes_lock:
            waiting = self._lanes.get(lane)
            if waiting is not None:   # a job of this lane is running: this one runs after it
                waiting.append(job_key)
                return
            self._lanes[lane] = deque()
        self._pool.submit(self._drain, lane, job_key)

    def _drain(self, lane: str, job_key: str) -> None:
        while True:
            try:
                self._run(job_key)
            except BaseException as exc:  # _run dead-letters failures itself; keep the lane moving
                self.worker_errors = (self.worker_errors + [f"{job_key}: {exc!r}"])[-20:]
            with self._lanes_lock:
                waiting = self._lanes[lane]
                if not waiting:
                    del self._lanes[lane]
                    return
                job_key = waiting.popleft()

    def backoff(self, attempt: int, exc: Retryable) -> float:
        """Simulated seconds before the next attempt: the schedule's, at least ``Retry-After`` and,
        on a running clock, at least the wall-time floor for this attempt."""
        delay = float(self.config.retry_schedule[attempt - 1])
        clock = self.sim.clock
        if clock.mode == "frozen":
            return max(delay, float(exc.retry_after or 0))
        floor = min(self.config.retry_wall_floor * 2 ** (attempt - 1), self.config.retry_wall_cap)
        wall = max(floor, float(exc.retry_after or 0))
        return max(delay, wall * clock.rate)

    # ---- checkpoints ---------------------------------------------------------------------------
    def checkpoints(self, scope: str) -> dict[str, Any]:
        """The finished steps of one piece of work (e.g. ``publish:<order id>``)."""
        return self.data.setdefault("checkpoints", {}).setdefault(scope, {})

    def finished(self, scope: str, step: str) -> Any:
        """A finished step's result, or None; read only (no entry is made for a scope never seen)."""
        return ((self.data.get("checkpoints") or {}).get(scope) or {}).get(step)

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

    def submit(self, kind: str, key: str, payload: dict[str, Any] | None = None, delay: float = 0.0,
               carry: Any = None) -> bool:
        """Queue work; a job of the same kind and key already waiting is not queued twice. ``carry``:
        records the submitting job has just read, handed to the new job's first attempt only (see
        ``carried``); kept in memory, never in the store."""
        job_key = f"{kind}:{key}"
        with self.store.lock:
            pending = self.data["pending"]
            if job_key in pending:
                return False
            pending[job_key] = {"kind": kind, "key": key, "payload": payload or {}, "attempts": 0,
                                "first_at": iso(self.sim.now()), "errors": []}
            if carry is not None:
                self._carried[job_key] = carry
        self.sim.clock.schedule(delay, lambda: self._dispatch(job_key), name=f"integration {job_key}",
                                owner=self.sim.name)
        return True

    def carried(self) -> Any:
        """What the job that submitted this one handed over (e.g. the order it has just read, so the
        next step of the same lane does not read it again), on the first attempt only: a retry, or a
        job resubmitted from the dead letters, reads afresh. None when nothing was handed over."""
        return getattr(self._local, "carried", None)

    def _run(self, job_key: str) -> None:
        try:
            self._attempt(job_key)
        finally:
            self._local.carried = None   # never seen by a later job, or a direct call, on this thread

    def _attempt(self, job_key: str) -> None:
        job = self.data["pending"].get(job_key)
        if job is None:
            return
        job["attempts"] += 1
        job["total_attempts"] = job.get("total_attempts", 0) + 1
        self._progress = False
        self._local.carried = self._carried.pop(job_key, None)
        try:
            self.handlers[job["kind"]](job["payload"])
        except Retryable as exc:
            job["errors"] = (job["errors"] + [f"{iso(self.sim.now())} {exc}"])[-10:]
            schedule = self.config.retry_schedule
            if self._progress:   # it got further than last time: back off from the start again
                job["attempts"] = 1
                job["progressed"] = job.get("progressed", 0) + 1
            if job["attempts"] <= len(schedule) and job["total_attempts"] < MAX_ATTEMPTS:
                self._count("retries")
                self.sim.clock.schedule(self.backoff(job["attempts"], exc), lambda: self._dispatch(job_key),
                                        name=f"retry {job_key}", owner=self.sim.name)
                return
            self._dead(job_key, f"gave up after {job['attempts']} attempts: {exc}")
            return
        except Exception as exc:  # Permanent or a bug: never lose the work
            detail = str(exc) if isinstance(exc, Permanent) else "".join(
                traceback.format_exception_only(type(exc), exc)).strip()
            self._dead(job_key, detail)
            return
        with self.store.lock:
            self.data["pending"].pop(job_key, None)
            self.data["stats"]["done"] += 1

    def _dead(self, job_key: str, reason: str) -> None:
        with self.store.lock:
            job = self.data["pending"].pop(job_key)
            job.update(reason=reason, dead_at=iso(self.sim.now()), id=f"dl_{len(self.data['dead']) + 1}")
            self.data["dead"].append(job)
            self.data["stats"]["dead"] += 1

    def retry_dead(self, dead_id: str | None = None) -> int:
        keep, again = [], []
        with self.store.lock:
            for job in self.data["dead"]:
                (again if dead_id in (None, job["id"]) else keep).append(job)
            self.data["dead"] = keep
        for job in again:
            self.submit(job["kind"], job["key"], job["payload"])
        self._count("dead_retried", len(again))
        return len(again)
