"""The one simulated clock every fake and the integration read, and the scheduler on it.

This module is the only place in ``simulators/`` that reads the wall clock: the ``real`` and
``scaled`` modes need it to know how much real time has passed since the anchor.

Modes
-----
- ``frozen``: time moves only when advanced (the default in tests).
- ``real``: simulated time follows the wall clock from the anchor.
- ``scaled``: ``rate`` simulated seconds per real second (load runs).

Across processes (live mode) every process computes the same ``now`` from the same anchor
``(sim_anchor, wall_anchor, rate)``, which the harness broadcasts through ``/_sim/clock``.
"""
from __future__ import annotations

import heapq
import itertools
import math
import threading
import time as _wall
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

MODES = ("frozen", "real", "scaled")
DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)
# Bounds that keep every computed instant representable (a datetime ends in year 9999): the anchor
# lies between 1970 and 3000, a scaled clock runs at most a million times real time, and a wall
# anchor is within a day of this process's own wall clock (the harness broadcasts its own "now").
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)
MAX_RATE = 1_000_000.0
MAX_ANCHOR_SKEW = 86_400.0
_CEILING = datetime(9999, 1, 1, tzinfo=timezone.utc)   # where a runaway scaled clock stops


def wall_seconds() -> float:
    """Real seconds since the epoch, for measuring what a person waits in wall time (the load suite's
    wall-clock timings and progress); never a simulator's "now", which is ``SimClock.now()``."""
    return _wall.time()


def wall_now() -> datetime:
    """The real time now: for anchoring a ``real`` clock at start-up (``o2c up``), so that
    timestamps such as Stripe's webhook signature times look current to off-the-shelf clients."""
    return datetime.fromtimestamp(_wall.time(), tz=timezone.utc).replace(microsecond=0)


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """'30d', '2h', '90s', '15m', '1d2h', 3600 (seconds) or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    text = str(value).strip().lower().replace(" ", "")
    if not text:
        raise ValueError("empty duration")
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    total, number = 0.0, ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
        else:
            raise ValueError(f"bad duration {value!r}: use e.g. 30d, 2h, 15m, 90s")
    if number:
        total += float(number)
    return timedelta(seconds=total)


def parse_instant(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@dataclass(order=True)
class Job:
    due: datetime
    seq: int
    name: str = field(compare=False)
    fn: Callable[[], None] = field(compare=False, repr=False)
    owner: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)

    def describe(self) -> dict:
        return {"due": iso(self.due), "name": self.name, "owner": self.owner, "seq": self.seq}


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class SimClock:
    """Simulated time plus a scheduler of due work, safe to share between threads."""

    def __init__(self, start: datetime = DEFAULT_START, mode: str = "frozen", rate: float = 1.0):
        self._lock = threading.RLock()
        self._jobs: list[Job] = []
        self._seq = itertools.count()
        self._running = False
        self._on_settle: list[Callable[[], bool]] = []
        self.set(start, mode=mode, rate=rate)
        self._started = (self._sim_anchor, self.mode, self.rate)   # what ``restart`` returns to

    def restart(self) -> None:
        """As built (an in-process harness's reset): the start instant, mode and rate, no scheduled
        jobs and job numbers from 0 again. The systems on the clock schedule their own jobs again as
        they reset."""
        start, mode, rate = self._started
        with self._lock:
            self.set(start, mode=mode, rate=rate)
            self._jobs = []
            self._seq = itertools.count()

    # ---- time -------------------------------------------------------------------------
    def set(self, sim: datetime | None = None, mode: str | None = None, rate: float | None = None,
            wall_anchor: float | None = None) -> None:
        """Set anchor, mode and rate together. Everything is checked first: a refused change
        (ValueError) leaves the clock exactly as it was."""
        with self._lock:
            current = sim or (self.now() if hasattr(self, "_sim_anchor") else DEFAULT_START)
            mode = mode or getattr(self, "mode", "frozen")
            if mode not in MODES:
                raise ValueError(f"clock mode must be one of {MODES}, not {mode!r}")
            new_rate = 1.0 if mode == "real" else rate if rate is not None else getattr(self, "rate", 1.0)
            if isinstance(new_rate, bool) or not isinstance(new_rate, (int, float)) or not math.isfinite(new_rate) \
                    or not 0 < new_rate <= MAX_RATE:
                raise ValueError(f"rate must be a positive number of at most {MAX_RATE:g}, not {new_rate!r}")
            current = current.astimezone(timezone.utc)
            if not EARLIEST <= current < LATEST:
                raise ValueError(f"the simulated time must lie between {iso(EARLIEST)} and {iso(LATEST)}")
            wall_now = _wall.time()
            if wall_anchor is None:
                anchor = wall_now
            else:
                if isinstance(wall_anchor, bool) or not isinstance(wall_anchor, (int, float)) \
                        or not math.isfinite(wall_anchor) or abs(wall_anchor - wall_now) > MAX_ANCHOR_SKEW:
                    raise ValueError("wall_anchor must be this machine's epoch time, within a day of now")
                anchor = float(wall_anchor)
            self.mode, self.rate, self._sim_anchor, self._wall_anchor = mode, float(new_rate), current, anchor

    def now(self) -> datetime:
        with self._lock:
            if self.mode == "frozen":
                return self._sim_anchor
            elapsed = (_wall.time() - self._wall_anchor) * self.rate
            try:
                return min(self._sim_anchor + timedelta(seconds=elapsed), _CEILING)
            except OverflowError:   # a scaled clock left running for days: it stops at the ceiling
                return _CEILING

    def anchor(self) -> dict:
        with self._lock:
            return {"mode": self.mode, "rate": self.rate, "sim_anchor": iso(self._sim_anchor),
                    "wall_anchor": self._wall_anchor}

    def timestamp(self) -> int:
        return int(self.now().timestamp())

    def _jump_to(self, when: datetime) -> None:
        with self._lock:
            if when > self.now():
                self._sim_anchor = when
                self._wall_anchor = _wall.time()

    # ---- scheduler --------------------------------------------------------------------
    def schedule(self, when: datetime | timedelta | float, fn: Callable[[], None], name: str = "job",
                 owner: str = "") -> Job:
        """Run ``fn`` at simulated time ``when`` (an instant, or a delay from now)."""
        with self._lock:
            if isinstance(when, (int, float)):
                when = timedelta(seconds=when)
            due = self.now() + when if isinstance(when, timedelta) else when
            job = Job(due=due, seq=next(self._seq), name=name, fn=fn, owner=owner)
            heapq.heappush(self._jobs, job)
            return job

    def cancel_owner(self, owner: str) -> int:
        with self._lock:
            n = 0
            for job in self._jobs:
                if job.owner == owner and not job.cancelled:
                    job.cancelled = True
                    n += 1
            return n

    def pending(self, owner: str | None = None) -> list[Job]:
        with self._lock:
            return sorted(j for j in self._jobs if not j.cancelled and (owner is None or j.owner == owner))

    def next_due(self) -> datetime | None:
        with self._lock:
            self._drop_cancelled()
            return self._jobs[0].due if self._jobs else None

    def _drop_cancelled(self) -> None:
        while self._jobs and self._jobs[0].cancelled:
            heapq.heappop(self._jobs)

    def _pop_due(self, until: datetime) -> Job | None:
        with self._lock:
            self._drop_cancelled()
            if self._jobs and self._jobs[0].due <= until:
                return heapq.heappop(self._jobs)
            return None

    def add_settle_hook(self, hook: Callable[[], bool]) -> None:
        """A hook that does pending non-scheduled work and returns True if it did any."""
        self._on_settle.append(hook)

    def run_due(self, limit: int = 100_000) -> int:
        """Run every job due at or before now (including ones that jobs schedule for now)."""
        ran = 0
        while ran < limit:
            job = self._pop_due(self.now())
            if job is None:
                if any([hook() for hook in self._on_settle]):
                    continue
                break
            job.fn()
            ran += 1
        if ran >= limit:
            raise RuntimeError(f"clock did not settle after {limit} jobs: a job keeps rescheduling itself")
        return ran

    settle = run_due

    def advance(self, duration: str | int | float | timedelta) -> int:
        """Move time forward, running every due job in time order; returns jobs run."""
        try:
            delta = parse_duration(duration)
            target = self.now() + delta
        except OverflowError:
            raise ValueError(f"cannot advance by {duration!r}: past {iso(LATEST)}") from None
        if delta < timedelta(0):
            raise ValueError("the clock does not go backwards")
        return self.advance_to(target)

    def advance_to(self, target: datetime) -> int:
        if target.tzinfo is None:
            target = target.replace(tzinfo=timezone.utc)
        if target >= LATEST:
            raise ValueError(f"cannot advance past {iso(LATEST)}")
        ran = self.run_due()
        while True:
            job = self._pop_due(target)
            if job is None:
                break
            self._jump_to(job.due)
            job.fn()
            ran += 1 + self.run_due()
        self._jump_to(target)
        ran += self.run_due()
        return ran


class BackgroundRunner:
    """Runs due jobs in live mode, where nobody calls settle(): a daemon thread per process."""

    def __init__(self, clock: SimClock, interval: float = 0.02):
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sim-clock", daemon=True)
        self.errors: list[str] = []

    def start(self) -> "BackgroundRunner":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.clock.run_due()
            except Exception as exc:  # keep the server alive; surface through /_sim/clock
                self.errors = (self.errors + [repr(exc)])[-20:]
