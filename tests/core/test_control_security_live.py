"""Live probes of the control plane over real sockets: the per-run token, owner-only run files, and
a server that exits promptly on SIGTERM even while a worker waits out a 5-minute latency fault.
The fakes are the session's shared live servers (tests/conftest.py); the reference integration, which
those do not run, is started here on its own (its run writes every run file, integration.json too)."""
from __future__ import annotations

import os
import signal
import stat
import threading
import time

import pytest
import requests

from simulators.core.faults import MAX_REQUEST_LATENCY_MS
from simulators.harness import LiveHarness, run_file
from simulators.registry import available

from ..conftest import free_port


@pytest.fixture(scope="module")
def live_run(tmp_path_factory):
    """A run of the reference integration alone."""
    run_dir = tmp_path_factory.mktemp("o2c-control-security")
    h = LiveHarness([], ports={"integration": free_port()}, run_dir=run_dir, integration={"payment_sync": "polling"})
    h.start()
    yield h
    h.stop()


@pytest.fixture(params=["fakes", "integration"])
def any_run(request):
    return request.getfixturevalue("live" if request.param == "fakes" else "live_run")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_run_files_are_owner_only_and_the_token_is_the_runs(any_run):
    d = any_run.run_dir
    files = ["tls/server.key", "control.token", "run.json"] + ["integration.json"] * ("integration" in any_run.names)
    for name in files:
        assert mode(d / name) == 0o600, name
    token = (d / "control.token").read_text()
    assert token == any_run.control_token and len(token) >= 40
    assert run_file(d)["control_token"] == token
    assert all(token not in p.read_text() for p in d.glob("*.json"))


def test_the_token_is_not_on_any_command_line(any_run):
    assert any_run.procs
    for proc in any_run.procs.values():
        with open(f"/proc/{proc.pid}/cmdline", "rb") as fh:
            assert any_run.control_token.encode() not in fh.read()


@pytest.mark.parametrize("name", available() + ["integration"])
def test_every_control_plane_wants_the_token(live, live_run, name):
    run = live_run if name == "integration" else live
    url, verify = run.url(name) + "/_sim/state", str(run.ca_path)   # Salesforce's is HTTPS
    assert requests.get(url, timeout=10, verify=verify).status_code == 403
    assert requests.get(url, headers={"X-Sim-Token": "guess"}, timeout=10, verify=verify).status_code == 403
    assert requests.get(url, headers=run.control_headers(), timeout=10, verify=verify).status_code == 200
    assert run.control(name).get("/health")["ok"] is True


def test_integration_settings_cannot_be_redirected_without_the_token(live_run):
    base = live_run.url("integration")
    r = requests.post(base + "/_integration/config", json={"salesforce_url": "http://127.0.0.1:9/steal"}, timeout=10)
    assert r.status_code == 403
    status = requests.get(base + "/_integration/status", headers=live_run.control_headers(), timeout=10).json()
    assert status["config"]["salesforce_url"] == "https://o2c.my.salesforce.com"   # unchanged default
    assert status["config"]["control_token"] == "***"


def test_the_fast_lane_serves_vendor_calls_without_a_token(live):
    r = requests.get(live.url("stripe") + "/v1/customers", headers={"Authorization": "Bearer sk_test_x"}, timeout=10)
    assert r.status_code == 200


def test_a_process_with_a_worker_asleep_in_a_latency_fault_exits_promptly_on_sigterm(tmp_path):
    h = LiveHarness(["avalara"], ports={"avalara": free_port()}, run_dir=tmp_path)
    h.start()
    try:
        ctl = h.control("avalara")
        ctl.add_fault(operation="*", latency={"kind": "fixed", "ms": MAX_REQUEST_LATENCY_MS})
        outcome = {}

        def slow_call():
            try:
                outcome["status"] = requests.get(h.url("avalara") + "/api/v2/utilities/ping", timeout=60).status_code
            except requests.RequestException as exc:
                outcome["error"] = type(exc).__name__

        caller = threading.Thread(target=slow_call)
        caller.start()
        # the rule counts its hit before the worker starts waiting: then the request is in flight
        h.wait_until(lambda: ctl.get("/faults")["rules"][0]["hits"] == 1, timeout=10, what="the slow call in flight")
        proc = h.procs["avalara"]
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)          # raises TimeoutExpired if the sleeping worker held the process
        assert time.monotonic() - started < 5
        assert proc.returncode == 0   # a clean exit, not a kill
        caller.join(timeout=10)
        assert not caller.is_alive() and "status" not in outcome   # the caller saw the connection go
    finally:
        h.stop()


def test_the_o2c_command_reads_the_token_from_the_run_dir(live, capsys):
    from simulators import cli
    assert cli.main(["--run-dir", str(live.run_dir), "faults", "add", "--fake", "avalara",
                     "--operation", "transactions.create", "--error", "RequestLimitExceeded", "--times", "1"]) == 0
    assert cli.main(["--run-dir", str(live.run_dir), "faults", "clear"]) == 0
    assert "avalara: cleared 1" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="latency"):   # refused by the plane: the reason, no traceback
        cli.main(["--run-dir", str(live.run_dir), "faults", "add", "--fake", "avalara", "--latency-ms", "1e12"])
