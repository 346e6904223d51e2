"""``o2c load`` starts the fakes and the reference integration once and resets them between sync
modes, or starts them afresh when a mode left the integration with queued work (control-plane calls
recorded against a stand-in harness; the live path is the load smoke's)."""
from __future__ import annotations

import os
from argparse import Namespace

import pytest

from simulators.load import systems as mod


class FakeProc:
    pid = os.getpid()


class FakeHarness:
    made: list["FakeHarness"] = []

    def __init__(self, fakes, ports, run_dir, clock_mode, rate, integration):
        self.names = list(fakes) + ["integration"]
        self.integration = dict(integration)
        self.procs = {n: FakeProc() for n in self.names}
        self.control_token, self.ca_path = "t", None
        self.started = self.stopped = 0
        FakeHarness.made.append(self)

    def start(self):
        self.started += 1

    def stop(self):
        self.stopped += 1

    def url(self, name):
        return f"http://127.0.0.1/{name}"


@pytest.fixture
def calls(monkeypatch):
    FakeHarness.made = []
    seen: list[tuple] = []

    def control(h, name, method, path, body=None):
        seen.append((name, method, path, body))
        return {}
    monkeypatch.setattr(mod, "LiveHarness", FakeHarness)
    monkeypatch.setattr(mod, "control", control)
    return seen


def args(**kw):
    base = dict(integration_url=None, run_dir=".o2c", clock_rate=60.0, poll_interval=120, vendor_limits="off",
                faults="none")
    return Namespace(**{**base, **kw})


def test_the_second_mode_resets_every_system_and_switches_the_payment_sync(tmp_path, calls):
    s = mod.Systems(args(), tmp_path)
    h1, procs = s.for_mode("webhook")
    assert FakeHarness.made == [h1] and h1.started == 1 and h1.integration["payment_sync"] == "webhook"
    assert set(procs) == set(mod.FAKES) | {"integration"}
    assert calls == [("integration", "POST", "/_integration/install", None)]
    calls.clear()
    s.mode_done(backlog=0)
    h2, _ = s.for_mode("polling")
    assert h2 is h1 and h1.started == 1 and h1.stopped == 0 and s.starts == 1
    settings = {"payment_sync": "polling", "poll_interval": 120.0}
    # every fake first (their queued webhooks and Outbound Messages go), then the integration
    assert calls == [(n, "POST", "/_sim/reset", None) for n in mod.FAKES] + [
        ("integration", "POST", "/_sim/reset", None),
        ("integration", "POST", "/_integration/config", settings),
        ("integration", "POST", "/_integration/install", None)]
    assert h1.integration["payment_sync"] == "polling"
    s.stop()
    assert h1.stopped == 1 and s.h is None


def test_a_mode_that_left_work_queued_makes_the_next_mode_start_afresh(tmp_path, calls):
    s = mod.Systems(args(), tmp_path)
    h1, _ = s.for_mode("webhook")
    s.mode_done(backlog=3)
    assert h1.stopped == 1
    calls.clear()
    h2, _ = s.for_mode("polling")
    assert h2 is not h1 and h2.started == 1 and s.starts == 2
    assert h2.integration["payment_sync"] == "polling"
    assert ("integration", "POST", "/_sim/reset", None) not in calls


def test_limits_and_faults_are_applied_again_after_each_reset(tmp_path, calls):
    s = mod.Systems(args(vendor_limits="sandbox", faults="flaky"), tmp_path)
    s.for_mode("webhook")
    first = [c for c in calls if c[2] in ("/_sim/limits", "/_sim/faults")]
    calls.clear()
    s.for_mode("polling")
    again = [c for c in calls if c[2] in ("/_sim/limits", "/_sim/faults")]
    assert again == first
    assert {c[0] for c in first if c[2] == "/_sim/limits"} == set(mod.FAKES)
    assert ("stripe", "POST", "/_sim/faults", mod.FAULT_PROFILES["flaky"]["stripe"][0]) in first
