"""Helpers for connecting simple-salesforce (or any requests-based client) to the *live* fake.

simple-salesforce always logs in at ``https://{domain}.salesforce.com``; ``live_session`` returns
a ``requests.Session`` that sends every ``*.salesforce.com`` URL to the fake instead and trusts
the harness CA::

    from simple_salesforce import Salesforce
    from simulators.salesforce.client import live_session
    s = live_session("https://127.0.0.1:8701", ca_path)
    sf = Salesforce(username="integration@o2c.test", password="o2c-password",
                    security_token="O2CTOKEN", session=s)       # SOAP login, then instance_url = the fake

``trust_env`` is switched off because a ``REQUESTS_CA_BUNDLE`` environment variable would
otherwise override ``session.verify``.
"""
from __future__ import annotations

import re
from typing import Any

import requests
from requests.adapters import HTTPAdapter

SF_HOST = re.compile(r"^https://[A-Za-z0-9.-]*salesforce\.com(?::\d+)?", re.IGNORECASE)


class RedirectAdapter(HTTPAdapter):
    def __init__(self, base_url: str, **kw):
        super().__init__(**kw)
        self.base_url = base_url.rstrip("/")

    def send(self, request, **kw):
        request.url = SF_HOST.sub(self.base_url, request.url)
        return super().send(request, **kw)


def live_session(base_url: str, ca_path: str | None = None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    if ca_path:
        s.verify = str(ca_path)
    adapter = RedirectAdapter(base_url)
    s.mount("https://login.salesforce.com", adapter)
    s.mount("https://test.salesforce.com", adapter)
    s.mount("https://o2c.my.salesforce.com", adapter)
    return s


def oauth_token(base_url: str, ca_path: str | None = None, **form) -> dict:
    """POST /services/oauth2/token on the fake (default: the password grant with the default identity)."""
    data = {"grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
            "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN", **form}
    s = requests.Session()
    s.trust_env = False
    resp = s.post(f"{base_url.rstrip('/')}/services/oauth2/token", data=data, verify=str(ca_path) if ca_path else True,
                  timeout=30)
    resp.raise_for_status()
    return resp.json()


def jwt_assertion(private_key_pem: Any, username: str, now: int, audience: str = "https://login.salesforce.com",
                  client_id: str = "o2c-client-id", lifetime: int = 180) -> str:
    """An RS256 JWT bearer assertion as a connected app signs it; ``now`` in epoch seconds (pass the
    simulated clock's). The fake's default key: ``harness.salesforce_jwt_key()``. The key is PEM text
    or a private key object cryptography loaded (loading PEM checks the RSA key, tens of milliseconds:
    a caller signing many assertions loads it once)."""
    import jwt

    return jwt.encode({"iss": client_id, "sub": username, "aud": audience, "exp": now + lifetime},
                      private_key_pem, algorithm="RS256")
