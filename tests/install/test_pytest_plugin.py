"""The pytest plugin as a user meets it: a test file of their own, outside this project, using the
``o2c`` and ``o2c_live`` fixtures with no conftest (the plugin is loaded by its entry point)."""
import subprocess
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import requests

from simulators.core import netguard
from simulators.harness import InProcessHarness

USER_PROJECT = Path(__file__).with_name("user_project")
pytest_plugins = ["pytester"]


def _run_user_suite(tmp_path, ini: str = "", extra: str | None = None,
                    only: list[str] = ()) -> subprocess.CompletedProcess:
    """The user's project copied outside this checkout and run by pytest in a subprocess (``only``: just
    these of its test files)."""
    project = tmp_path / "project"
    shutil.copytree(USER_PROJECT, project)
    if ini:
        (project / "pytest.ini").write_text("[pytest]\n" + ini)
    if extra is not None:
        (project / "test_mine.py").write_text(extra)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *only],
                          cwd=project, capture_output=True, text=True, timeout=300)


@pytest.mark.slow   # the user's whole suite, live fakes and features included (make test-all)
def test_a_users_own_suite_uses_the_fixtures(tmp_path):
    result = _run_user_suite(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "8 passed" in result.stdout


def test_a_users_in_process_tests_use_the_fixtures(tmp_path):
    """The fast tier's share of the above: the user's in-process tests only (no live servers, no features)."""
    result = _run_user_suite(tmp_path, only=["test_mine.py", "-k", "not live"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "6 passed, 1 deselected" in result.stdout


def test_bad_settings_are_a_usage_error_that_names_them(pytester):
    """A user's project with bad settings, run by pytest in this process (pytester): the plugin comes
    from its entry point all the same, and the error is the plugin's, so no second interpreter is
    needed for it. Only the settings and a test that uses the fixture: the user project's conftest
    would register the step library again in this process."""
    (pytester.path / "pytest.ini").write_text("[pytest]\no2c_fakes = stripe quickbooks\n")
    (pytester.path / "test_mine.py").write_text("def test_x(o2c):\n    pass\n")
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "test_mine.py")
    assert result.ret != 0
    assert "unknown fakes ['quickbooks']" in result.stdout.str() + result.stderr.str()
    result.assert_outcomes(errors=1)


def test_the_guard_is_on_only_while_the_harness_routes():
    assert not netguard.active()
    with InProcessHarness(["stripe"]) as h:
        assert netguard.active()
        with pytest.raises(urllib.error.URLError) as info:
            urllib.request.urlopen("https://api.stripe.com/v1/charges", timeout=5)
        assert isinstance(info.value.reason, netguard.VendorNetworkBlocked)
        with pytest.raises(OSError, match="o2c network guard"):
            import socket
            socket.create_connection(("login.salesforce.com", 443), timeout=5)
        # requests still reaches the fake; loopback and other hosts are not the guard's business
        assert requests.get(h.url("stripe") + "/v1/customers", auth=("sk_test_x", "")).status_code == 200
        assert not netguard.is_vendor_host("127.0.0.1") and not netguard.is_vendor_host("example.org")
        assert netguard.is_vendor_host("o2c-sb1.suitetalk.api.netsuite.com")
    assert not netguard.active()
