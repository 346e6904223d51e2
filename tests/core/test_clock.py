from datetime import timedelta

import pytest

from simulators.core.clock import SimClock, parse_duration


def test_jobs_run_in_time_order_across_advances():
    clock = SimClock()
    ran = []
    start = clock.now()
    clock.schedule(timedelta(days=3), lambda: ran.append(("c", clock.now() - start)), name="c")
    clock.schedule(timedelta(days=1), lambda: ran.append(("a", clock.now() - start)), name="a")
    clock.schedule(timedelta(days=2), lambda: ran.append(("b", clock.now() - start)), name="b")
    clock.advance("36h")
    assert ran == [("a", timedelta(days=1))]
    clock.advance("2d")
    assert [name for name, _ in ran] == ["a", "b", "c"]
    # each job saw the clock at its own due time, not at the end of the advance
    assert ran[1][1] == timedelta(days=2) and ran[2][1] == timedelta(days=3)
    assert clock.now() - start == timedelta(hours=84)


def test_jobs_scheduled_by_jobs_run_within_the_same_advance():
    clock = SimClock()
    seen = []

    def daily():
        seen.append(clock.now())
        clock.schedule(timedelta(days=1), daily, name="daily")

    clock.schedule(timedelta(days=1), daily, name="daily")
    clock.advance("60d")
    assert len(seen) == 60
    assert all(b - a == timedelta(days=1) for a, b in zip(seen, seen[1:]))


def test_equal_due_times_keep_scheduling_order_and_cancel_by_owner():
    clock = SimClock()
    order = []
    for name in "xyz":
        clock.schedule(timedelta(hours=1), lambda n=name: order.append(n), owner="o" if name == "y" else "")
    assert clock.cancel_owner("o") == 1
    clock.advance("1h")
    assert order == ["x", "z"]


def test_frozen_clock_does_not_move_and_never_goes_back():
    clock = SimClock()
    t0 = clock.now()
    assert clock.now() == t0
    with pytest.raises(ValueError):
        clock.advance(-5)
    with pytest.raises(ValueError):
        clock.set(mode="sideways")


def test_scaled_clock_runs_faster_than_real():
    clock = SimClock(mode="scaled", rate=3600)
    t0 = clock.now()
    # wall anchor one real second ago => one simulated hour later
    clock.set(t0, mode="scaled", rate=3600, wall_anchor=clock.anchor()["wall_anchor"] - 1)
    assert timedelta(minutes=59) < clock.now() - t0 < timedelta(minutes=62)


@pytest.mark.parametrize("text,seconds", [("30d", 2592000), ("2h", 7200), ("15m", 900), ("90s", 90),
                                          ("1d2h", 93600), (45, 45)])
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


def test_parse_duration_rejects_nonsense():
    with pytest.raises(ValueError):
        parse_duration("soon")
