"""``jsonutil.dumpb`` (orjson) gives the same JSON values as ``jsonutil.dumps`` (the json module), and
falls back to it for what orjson refuses."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from simulators.core.jsonutil import dumpb, dumps


@dataclass
class Line:
    amount: Decimal
    when: date


CASES = [
    {"a": Decimal("12.34"), "b": Decimal("-0.00"), "c": Decimal("1E+2"), "d": Decimal("0.1")},
    {"utc": datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc), "naive": datetime(2026, 1, 5, 9, 0, 0, 123456),
     "other": datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=-5))), "day": date(2026, 2, 28)},
    {"name": "Café Ünïcode ✓", "emoji": "\U0001F600", "quote": 'a"b\\c', "ctl": "\n\t\x01"},
    {"nested": [{"x": [1, 2.5, None, True, False]}, {"y": {"z": []}}], "line": Line(Decimal("9.99"), date(2026, 1, 1))},
    {"big": 2**70, "neg": -(2**70)},        # beyond 64 bits: the fallback
    {1: "one", (2): "two"},                  # keys that are not strings: the fallback
    [1e16, 1.5e-7, 123456789.125, -0.0],
]


@pytest.mark.parametrize("payload", CASES)
def test_the_same_json_values_as_dumps(payload):
    fast = dumpb(payload)
    assert isinstance(fast, bytes)
    assert json.loads(fast) == json.loads(dumps(payload))


def test_utc_datetimes_end_in_z():
    assert dumpb({"at": datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)}) == b'{"at":"2026-01-05T09:00:00Z"}'


def test_a_zero_amount_is_zero_whatever_its_sign_or_exponent():
    """No vendor prints a negative zero amount (Java's BigDecimal has none; .NET's decimal drops the
    sign of its zero), so neither do the fakes, on either encoder, and the kept zero serves every zero."""
    zeros = [Decimal("-0.00"), Decimal("0E+3"), Decimal("0.00"), Decimal("-0")]
    for _ in range(2):   # the second time from what the first kept
        assert dumpb(zeros) == b"[0.0,0.0,0.0,0.0]"
    assert dumps(zeros) == "[0.0, 0.0, 0.0, 0.0]"
    assert dumpb([Decimal("-1.50"), Decimal("0.10")]) == b"[-1.5,0.1]"
