"""Transactions of the fake org: one per API request, isolated between threads, all or nothing.

- **One transaction per request.** Every REST, composite, sObject-collection and Apex REST request
  runs inside one transaction (``app.py`` wraps every vendor view). Automation the org runs on the
  clock (dunning, seed) opens its own.
- **Isolation.** The transaction in progress is per thread of control (a ``ContextVar``, never a
  shared attribute), and the outermost transaction holds the org's store lock until it commits or
  rolls back. Requests are therefore serializable: no reader iterates a table while a writer
  inserts, no request sees another's uncommitted records, and a check-then-act (upsert by
  external id, unique checks) cannot interleave with another request's write.
- **All or nothing.** A nested ``transaction()`` (or ``savepoint()``) is a savepoint: an exception
  inside it undoes exactly its own writes and propagates; that is the statement-level atomicity
  of one DML call, and what ``allOrNone: false`` collections rely on per record. An exception
  escaping the outermost transaction undoes every write of the request.
- **Listeners after commit.** Change listeners (Change Data Capture, outbound messages,
  record-triggered flows) see the request's changes only after the outermost commit, outside the
  lock, in order, with one transaction key.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

DEFAULT_ORIGIN = "com/salesforce/api/rest/59.0"


@dataclass
class Tx:
    origin: str = DEFAULT_ORIGIN
    base_url: str | None = None   # the org's address as the request named it (live); None: the default
    undo: list[Callable[[], None]] = field(default_factory=list)
    changes: list[Any] = field(default_factory=list)

    def mark(self) -> tuple[int, int]:
        return len(self.undo), len(self.changes)

    def rollback_to(self, mark: tuple[int, int]) -> None:
        mark_u, mark_c = mark
        for fn in reversed(self.undo[mark_u:]):
            fn()
        del self.undo[mark_u:]
        del self.changes[mark_c:]


class Transactional:
    """Mixed into ``Database``: needs ``self.store`` (with ``lock``), ``self.sim`` and ``self.listeners``."""

    def _init_transactions(self) -> None:
        # one variable per org: two fake orgs in one process never share a transaction
        self._current: contextvars.ContextVar[Tx | None] = contextvars.ContextVar(f"sf_tx_{id(self)}", default=None)

    @property
    def _tx(self) -> Tx:
        tx = self._current.get()
        if tx is None:
            raise RuntimeError("a write outside a transaction")
        return tx

    def in_transaction(self) -> bool:
        return self._current.get() is not None

    @contextmanager
    def transaction(self, origin: str | None = None, base_url: str | None = None) -> Iterator[Tx]:
        """The outermost call takes the lock and commits; a nested call is a savepoint. ``base_url``:
        the org's address the caller used (its changes' outbound messages name it)."""
        tx = self._current.get()
        if tx is not None:
            saved_origin = tx.origin
            if origin:
                tx.origin = origin
            mark = tx.mark()
            try:
                yield tx
            except BaseException:
                tx.rollback_to(mark)
                raise
            finally:
                tx.origin = saved_origin
            return
        with self.store.lock:
            tx = Tx(origin=origin or DEFAULT_ORIGIN, base_url=base_url)
            token = self._current.set(tx)
            try:
                yield tx
            except BaseException:
                tx.rollback_to((0, 0))
                raise
            finally:
                self._current.reset(token)
        self._publish(tx)

    def savepoint(self):
        """Roll back only this block on error (per-record results with allOrNone=false)."""
        if self._current.get() is None:
            raise RuntimeError("savepoint outside a transaction")
        return self.transaction()

    def mark(self) -> tuple[int, int]:
        return self._tx.mark()

    def rollback_to(self, mark: tuple[int, int]) -> None:
        self._tx.rollback_to(mark)

    @property
    def _origin(self) -> str:
        return self._tx.origin

    def _record_change(self, ch: Any) -> None:
        self._tx.changes.append(ch)

    def _publish(self, tx: Tx) -> None:
        if not tx.changes:
            return
        key = self.sim.ids.uuid()
        for i, ch in enumerate(tx.changes, 1):
            ch.transaction_key, ch.sequence, ch.base_url = key, i, tx.base_url
        for ch in tx.changes:
            for listener in self.listeners:
                listener(ch)

    def transactional(self, view: Callable[..., Any], origin: Callable[[], str | None] = lambda: None):
        """Wrap a request handler: the whole request is one transaction."""
        def run(*args: Any, **kwargs: Any) -> Any:
            with self.transaction(origin()):
                return view(*args, **kwargs)
        run.__name__ = getattr(view, "__name__", "view")
        run.__doc__ = view.__doc__
        return run
