"""The README's "Connecting your own integration" example runs as written against live fakes."""
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "connect_live.py"


def test_the_official_clients_connect_with_nothing_from_the_harness(live, tmp_path):
    env = {"O2C_SALESFORCE_URL": live.url("salesforce"), "O2C_STRIPE_URL": live.url("stripe"),
           "O2C_AVALARA_URL": live.url("avalara"), "O2C_ERP_URL": live.url("erp"), "O2C_CA": str(live.ca_path),
           # a CA bundle set process-wide must not take over the session that trusts the fake's CA
           "REQUESTS_CA_BUNDLE": "/nonexistent/ca.pem", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Salesforce accounts: " in out and "Salesforce accounts: 0" not in out
    assert "Stripe customer: cus_" in out
    assert "AvaTax ping authenticated: True" in out
    assert "ERP customers: " in out
    assert "simulators" not in EXAMPLE.read_text().split('"""', 2)[2]   # nothing imported from the harness
