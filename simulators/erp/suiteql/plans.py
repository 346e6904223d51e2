"""The rewritten SQL of recent SuiteQL query texts, so a poller sending the same text again skips
the parse and rewrite (sqlglot), which is most of a small query's cost."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

PLANS, PLAN_TEXT = 256, 8_000   # rewritten queries kept per ERP, and the longest query text kept


class Plans:
    """The rewritten SQL of recent query texts (a poller sends the same text again and again), kept
    while the tables' columns stay the same (``Mirror.rebuilds``) and, for a query using SYSDATE,
    while the simulated now is the same."""

    def __init__(self) -> None:
        self._kept: OrderedDict[str, tuple[int, str | None, Any]] = OrderedDict()

    def get(self, text: str, rebuilds: int, now: str):
        kept = self._kept.get(text)
        if kept is None or kept[0] != rebuilds or kept[1] not in (None, now):
            return None
        self._kept.move_to_end(text)
        return kept[2]

    def put(self, text: str, rebuilds: int, now: str, used_now: bool, plan) -> None:
        if len(text) <= PLAN_TEXT:
            self._kept[text] = (rebuilds, now if used_now else None, plan)
            self._kept.move_to_end(text)
            while len(self._kept) > PLANS:
                self._kept.popitem(last=False)
