"""The o2c command keeps its word: it refuses to start over a run or on a taken port (changing
nothing), says which fake is down with its exit status, checks fault rules against the fake,
reports contract violations, explains every option, and fails in one line."""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from simulators.cli import build_parser, main
from simulators.cli.run import cmd_down
from tests.conftest import free_port


@pytest.fixture
def run(live):
    """A running run for the commands to manage: the session's shared live servers (tests/conftest.py),
    reset before each test."""
    return live


def o2c(h, *args):
    return main(["--run-dir", str(h.run_dir), *args])


def _tree(d: Path) -> dict:
    return {str(p.relative_to(d)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(d.rglob("*")) if p.is_file()}


def test_up_refuses_to_start_over_a_running_run_and_changes_nothing(run):
    before = _tree(run.run_dir)
    with pytest.raises(SystemExit) as info:
        o2c(run, "up", "--detach", "--fakes", "stripe")
    message = str(info.value)
    assert "already running" in message and "o2c down" in message and str(run.procs["stripe"].pid) in message
    assert _tree(run.run_dir) == before            # run.json, token and CA untouched
    assert o2c(run, "status") == 0                 # the first run is still ours to manage


def test_up_refuses_a_taken_port_naming_the_port_the_process_and_the_way_out(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            main(["--run-dir", str(tmp_path / "fresh"), "up", "--detach", "--fakes", "stripe", "--port", f"stripe={port}"])
    message = str(info.value)
    assert f"port {port}" in message and f"pid {os.getpid()}" in message and "--port stripe=" in message
    assert not (tmp_path / "fresh").exists()


def test_run_files_name_absolute_paths(run):
    info = json.loads((run.run_dir / "run.json").read_text())
    assert Path(info["ca"]).is_absolute() and Path(info["ca"]).exists()


def test_status_exits_non_zero_when_a_fake_is_down(run, tmp_path, capsys):
    # the shared run's files, with its AvaTax fake down: killed, its port answers nothing, as here
    # (a port nothing listens on) and its pid is gone (a process that has exited)
    info = json.loads((run.run_dir / "run.json").read_text())
    exited = subprocess.Popen(["true"])
    exited.wait(timeout=10)
    info["urls"]["avalara"], info["pids"]["avalara"] = f"http://127.0.0.1:{free_port()}", exited.pid
    (tmp_path / "run.json").write_text(json.dumps(info))
    (tmp_path / "control.token").write_text(run.control_token)
    assert main(["--run-dir", str(tmp_path), "status"]) == 1
    out = capsys.readouterr().out
    assert "stripe      up" in out and "avalara     DOWN" in out and "salesforce  up" in out


def test_faults_are_checked_against_the_fakes_catalogue(run, capsys):
    assert o2c(run, "faults", "operations", "--fake", "stripe") == 0
    operations = capsys.readouterr().out.split()
    assert "customers.create" in operations and "webhook.deliver" in operations
    assert o2c(run, "faults", "errors", "--fake", "stripe") == 0
    assert "rate_limit" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="matches no operation of stripe"):
        o2c(run, "faults", "add", "--fake", "stripe", "--operation", "no.such.op", "--error", "rate_limit")
    with pytest.raises(SystemExit, match="not one of stripe's documented fault errors.*rate_limit"):
        o2c(run, "faults", "add", "--fake", "stripe", "--operation", "customers.create", "--error", "bogus")
    assert o2c(run, "faults", "add", "--fake", "stripe", "--operation", "customers.create", "--error", "teapot",
               "--status", "418", "--times", "1") == 0
    capsys.readouterr()
    resp = requests.post(run.url("stripe") + "/v1/customers", auth=("sk_test_cli", ""))
    assert resp.status_code == 418 and resp.json()["error"]["code"] == "teapot"
    # the control plane itself refuses a rule for no operation, whoever sends it
    refused = requests.post(run.url("stripe") + "/_sim/faults", json={"operation": "nope", "drop": True},
                            headers=run.control_headers())
    assert refused.status_code == 400 and "matches no operation" in refused.json()["error"]
    assert o2c(run, "faults", "clear") == 0


def test_violations_report_per_caller(run, capsys):
    run.control("stripe").post("/validation", {"mode": "lenient"})   # until the next reset
    run.control("stripe").delete("/violations")
    ok = requests.post(run.url("stripe") + "/v1/customers", data={"no_such_param": "1"},
                       auth=("sk_test_our_integration", ""))   # the caller is who authenticated
    assert ok.status_code == 200                   # lenient: let through, recorded
    assert o2c(run, "violations", "--json") == 1   # there is one: CI can gate on the exit status
    report = json.loads(capsys.readouterr().out)
    assert report["total"] >= 1 and "sk_test_our_integration" in report["fakes"]["stripe"]["by_caller"]
    run.control("stripe").delete("/violations")
    assert o2c(run, "violations") == 0
    assert "0 violation(s)" in capsys.readouterr().out


def test_down_kills_a_process_that_ignores_sigterm(tmp_path):
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, threading; "
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
                                 "threading.Event().wait(120)"], start_new_session=True, stdout=subprocess.PIPE)
    assert stubborn.stdout.readline().strip() == b"ready"
    (tmp_path / "run.json").write_text(json.dumps({"urls": {}, "pids": {"stripe": stubborn.pid}, "ca": None}))
    try:
        assert cmd_down(argparse.Namespace(run_dir=str(tmp_path)), grace=0.1) == 0   # SIGTERM ignored: killed
        assert stubborn.wait(timeout=10) == -signal.SIGKILL
        assert not (tmp_path / "run.json").exists()
    finally:
        if stubborn.poll() is None:
            stubborn.kill()


def test_every_option_explains_itself():
    parser = build_parser()
    missing = []

    def walk(p, path):
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    walk(parser, "o2c")
    assert missing == []


@pytest.mark.parametrize("args, says", [
    (["reset"], "no running fakes found"),
    (["faults", "add"], "faults add needs --fake"),
])
def test_a_failing_command_says_why_in_one_line(tmp_path, capsys, args, says):
    # in process: the message main() exits with is what Python prints as the one line on stderr, with exit
    # status 1 (test_the_command_process_fails_with_one_line_and_status_1 runs the process itself)
    with pytest.raises(SystemExit) as info:
        main(["--run-dir", str(tmp_path), *args])
    message = info.value.code
    assert isinstance(message, str) and len(message.strip().splitlines()) == 1 and says in message
    assert "Traceback" not in capsys.readouterr().err


def test_the_command_process_fails_with_one_line_and_status_1(tmp_path):
    result = subprocess.run([sys.executable, "-m", "simulators.cli", "--run-dir", str(tmp_path), "faults", "add"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "faults add needs --fake" in result.stderr


def test_an_unexpected_failure_is_one_line_with_debug_for_the_traceback(run, capsys):
    # in process, as above
    with pytest.raises(SystemExit) as info:
        o2c(run, "clock", "advance", "soon")
    message = info.value.code
    assert isinstance(message, str) and len(message.strip().splitlines()) == 1 and "--debug" in message
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(Exception) as debug:   # --debug: the failure itself, which Python prints with its traceback
        main(["--debug", "--run-dir", str(run.run_dir), "clock", "advance", "soon"])
    assert not isinstance(debug.value, SystemExit) and debug.traceback


def test_a_service_that_is_not_running_is_named_in_one_line(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SystemExit) as info:   # in process, as above
        main(["--run-dir", str(tmp_path), "integration", "status", "--url", url])
    message = info.value.code
    assert isinstance(message, str) and message.strip().splitlines() == [message.strip()]
    assert f"cannot reach {url}" in message and "Traceback" not in capsys.readouterr().err
