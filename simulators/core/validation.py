"""Request validation against each fake's JSON Schemas.

``strict`` rejects a violating request with the vendor's own 400 (the fake supplies the error);
``lenient`` lets it through and records it. Either way violations are kept per caller (the
authenticated identity, else the User-Agent), bounded per caller and in total (the oldest go
first), with long text cut, and listed through ``/_sim/violations``: this is the
contract-verification report a CI job reads.
"""
from __future__ import annotations

import json
import re
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable

import fastjsonschema
from jsonschema import Draft202012Validator

from .journal import clip

MODES = ("strict", "lenient", "off")
MAX_ERRORS = 20   # errors kept per violation (the count says how many there were)


class Violation(Exception):
    def __init__(self, operation: str, errors: list[dict[str, Any]], raw: list[Any] | None = None):
        super().__init__(f"{operation}: {errors[0]['message'] if errors else 'invalid'}")
        self.operation = operation
        self.errors = errors
        self.raw = raw or []   # the jsonschema errors (same order), for fakes that word errors from the schema


_COMPILED: dict[tuple[str, int], Draft202012Validator] = {}
_FAST: dict[tuple[str, int], Callable[[Any], bool] | None] = {}
_COMPILED_LOCK = threading.Lock()


def _once(cache: dict, path: Path, build: Callable[[dict[str, Any]], Any]) -> Any:
    """``build(schema)`` for this file, done once per process and shared by every app instance (again
    only if the file changes). Compiling is the costly part of a start (well over a hundred schemas),
    so nothing is built until an operation is first validated. Thread-safe: concurrent first requests
    build it once. The shipped schemas are checked against the meta-schema by the test suite
    (tests/core/test_schemas_meta.py), not at every start."""
    key = (str(path), path.stat().st_mtime_ns)
    if key in cache:
        return cache[key]
    with _COMPILED_LOCK:
        if key not in cache:
            cache[key] = build(json.loads(path.read_text()))
        return cache[key]


def _fast(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """The schema compiled to Python by ``fastjsonschema``: the quick check that a request is valid
    (most are), so jsonschema runs only to word the errors of an invalid one. None when the schema
    uses something fastjsonschema does not compile (the full validator then always runs). Compiled
    without detailed exceptions: only the verdict is used, and generating the messages was two thirds
    of the compile."""
    try:
        check = fastjsonschema.compile(schema, detailed_exceptions=False)
    except Exception:   # noqa: BLE001 - an unsupported keyword or format: no quick path for this schema
        return None

    def quick(data: Any) -> bool:
        try:
            check(data)
            return True
        except Exception:   # noqa: BLE001 - invalid, or anything odd: the full validator decides and words it
            return False
    return quick


class SchemaValidator:
    def __init__(self, schema_dir: Path | None, mode: str = "strict", max_per_caller: int = 200,
                 normalise: Callable[[Any], Any] | None = None, max_total: int = 2000):
        self._lock = threading.Lock()
        self.mode = mode
        self.normalise = normalise
        # operation -> its schema file; compiled on the operation's first check
        self._validators: dict[str, Path] = {}
        self._ready: dict[str, Draft202012Validator] = {}
        self._violations: dict[str, deque] = {}   # caller -> its violations, oldest first
        self._order: deque[tuple[str, dict[str, Any]]] = deque()   # every kept violation, oldest first
        self._max = max_per_caller
        self._max_total = max_total
        self.dropped = 0   # violations let go to stay within the bounds, since the last clear
        # per-operation quick checks: True means "certainly valid" (the full validator is skipped); False means
        # "run the full validator", which finds and reports the errors. A fake may supply its own; an operation
        # without one gets fastjsonschema's on first use (None: no quick path for that schema)
        self.quick: dict[str, Callable[[Any], bool] | None] = {}
        if schema_dir and schema_dir.is_dir():
            self._validators = {path.stem: path for path in sorted(schema_dir.glob("*.json"))}

    def operations(self) -> list[str]:
        return sorted(self._validators)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"validation mode must be one of {MODES}")
        self.mode = mode

    def check(self, operation: str, payload: Any, caller: str, at: str | Callable[[], str]) -> None:
        """Raise ``Violation`` in strict mode; record in strict and lenient modes. ``at``: when (or a
        function giving it, called only when there is something to record)."""
        if self.mode == "off":
            return
        path = self._validators.get(operation)
        if path is None:
            return
        data = self.normalise(payload) if self.normalise else payload
        if operation not in self.quick:
            self.quick[operation] = _once(_FAST, path, _fast)
        quick = self.quick[operation]
        if quick is not None and quick(data):
            return
        validator = self._ready.get(operation)
        if validator is None:
            validator = self._ready[operation] = _once(_COMPILED, path, Draft202012Validator)
        raw = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        errors = [
            {"message": e.message, "path": "/".join(str(p) for p in e.absolute_path) or None,
             "keyword": e.validator, "names": _names(e),
             "value": clip(e.instance) if isinstance(e.instance, str) else
             e.instance if isinstance(e.instance, (int, float, bool)) or e.instance is None else None}
            for e in raw
        ]
        if not errors:
            return
        self._keep(clip(caller), {"at": at() if callable(at) else at, "operation": operation, "mode": self.mode, "error_count": len(errors),
                                  "errors": [dict(e, message=clip(e["message"]), path=clip(e["path"]))
                                             for e in errors[:MAX_ERRORS]]})
        if self.mode == "strict":
            raise Violation(operation, errors, raw)

    def _keep(self, caller: str, item: dict[str, Any]) -> None:
        with self._lock:
            bucket = self._violations.setdefault(caller, deque())
            if len(bucket) >= self._max:   # this caller's oldest goes
                self._order.remove((caller, bucket.popleft()))   # found by identity: a few thousand at most
                self.dropped += 1
            bucket.append(item)
            self._order.append((caller, item))
            while len(self._order) > self._max_total:   # everyone's oldest goes
                old_caller, _ = self._order.popleft()
                old_bucket = self._violations[old_caller]
                old_bucket.popleft()
                if not old_bucket:
                    del self._violations[old_caller]
                self.dropped += 1

    def violations(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {caller: list(items) for caller, items in self._violations.items()}

    def clear(self) -> None:
        with self._lock:
            self._violations = {}
            self._order = deque()
            self.dropped = 0


def _names(e: Any) -> list[str]:
    """The property names an error is about, read from the error's structure (never its English
    message): the missing ones for ``required``, the unexpected ones for ``additionalProperties``."""
    inst = e.instance
    if not isinstance(inst, dict):
        return []
    if e.validator == "required":
        return [n for n in e.validator_value if n not in inst]
    if e.validator == "additionalProperties":
        known = set(e.schema.get("properties") or {})
        patterns = [re.compile(p) for p in (e.schema.get("patternProperties") or {})]
        return [str(k) for k in inst if k not in known and not any(p.search(str(k)) for p in patterns)]
    return []
