"""OAuth 2.0 JWT bearer flow: the signature is checked against the connected app's certificate
(the harness's default one, or one a user registers), and iss / aud / exp / sub are checked; a
forged assertion and an unknown user get the same answer."""
from __future__ import annotations

import base64
import functools
import json

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from simulators.salesforce.client import jwt_assertion

TOKEN_URL = "https://login.salesforce.com/services/oauth2/token"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _login(assertion: str) -> requests.Response:
    return requests.post(TOKEN_URL, data={"grant_type": GRANT, "assertion": assertion}, timeout=30)


@functools.cache
def _other_key() -> str:
    """A key that is not the connected app's (made once for the module: an RSA key takes ~35 ms)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@functools.cache
def signing(pem: str):
    """The PEM loaded once per key: PyJWT would load (and check) the RSA key again for every assertion."""
    return serialization.load_pem_private_key(pem.encode(), None)


@pytest.fixture
def key(harness):
    return harness.salesforce_jwt_key()


@pytest.fixture
def now(harness):
    return int(harness.now().timestamp())


REFUSED = {"error": "invalid_grant", "error_description": "invalid assertion"}


def test_simple_salesforce_signs_with_the_harness_key_and_acts_as_the_user(harness, key):
    sf = Salesforce(username="finance@o2c.test", consumer_key="o2c-client-id", privatekey=key)
    me = sf.query("SELECT Id FROM User WHERE Username = 'finance@o2c.test'")["records"][0]["Id"]
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    sf.Account.update(acct, {"BillingCity": "Set By Finance"})
    assert sf.Account.get(acct)["LastModifiedById"] == me


def test_forged_unsigned_and_foreign_key_assertions_are_refused(harness, key, now):
    claims = {"iss": "o2c-client-id", "sub": "integration@o2c.test", "aud": "https://login.salesforce.com",
              "exp": now + 180}
    unsigned = jwt.encode(claims, None, algorithm="none")
    b64 = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    fake_rs256 = f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims)}.c2lnbmF0dXJl"
    hs256 = jwt.encode(claims, "o2c-client-secret-used-as-an-hmac-key", algorithm="HS256")
    foreign = jwt_assertion(signing(_other_key()), "integration@o2c.test", now)
    for assertion in (unsigned, fake_rs256, hs256, foreign, "not-a-jwt"):
        r = _login(assertion)
        assert (r.status_code, r.json()) == (400, REFUSED), assertion[:40]
    assert _login(jwt_assertion(key, "integration@o2c.test", now)).status_code == 200   # PEM text signs too


def test_unknown_and_inactive_users_get_the_same_answer_as_a_bad_signature(harness, key, now):
    ctl = harness.control("salesforce")
    ctl._call("PUT", "/salesforce/security/users/gone@o2c.test", json={"profile": "System Administrator",
                                                                       "active": False})
    for user in ("nobody@o2c.test", "gone@o2c.test"):
        r = _login(jwt_assertion(signing(key), user, now))
        assert (r.status_code, r.json()) == (400, REFUSED)


def test_issuer_audience_and_expiry_are_checked_on_the_simulated_clock(harness, key, now):
    r = _login(jwt_assertion(signing(key), "integration@o2c.test", now, client_id="someone-else"))
    assert r.json() == {"error": "invalid_client_id", "error_description": "client identifier invalid"}
    r = _login(jwt_assertion(signing(key), "integration@o2c.test", now, audience="https://evil.example"))
    assert r.json() == {"error": "invalid_grant", "error_description": "audience is invalid"}
    for aud in ("https://test.salesforce.com", "https://o2c.my.salesforce.com"):
        assert _login(jwt_assertion(signing(key), "integration@o2c.test", now, audience=aud)).status_code == 200
    assertion = jwt_assertion(signing(key), "integration@o2c.test", now, lifetime=180)
    harness.advance("4m")
    r = _login(assertion)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert r.json()["error_description"] == "expired authorization code"


def test_a_registered_certificate_replaces_the_default(harness, key, now):
    ctl = harness.control("salesforce")
    own = _other_key()
    private = signing(own)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    import datetime as dt
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "my connected app")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
            .serial_number(1).not_valid_before(dt.datetime(2020, 1, 1)).not_valid_after(dt.datetime(2040, 1, 1))
            .sign(private, hashes.SHA256())).public_bytes(serialization.Encoding.PEM).decode()
    view = ctl._call("PUT", "/salesforce/jwt-certificate", json={"certificate": cert})
    assert view == {"certificate": cert, "default": False, "private_key": None}
    assert harness.salesforce_jwt_key() is None
    assert _login(jwt_assertion(signing(key), "integration@o2c.test", now)).json() == REFUSED
    assert _login(jwt_assertion(signing(own), "integration@o2c.test", now)).status_code == 200
    with pytest.raises(RuntimeError, match="400"):
        ctl._call("PUT", "/salesforce/jwt-certificate", json={"certificate": "not a pem"})
    ctl.delete("/salesforce/jwt-certificate")
    assert _login(jwt_assertion(signing(key), "integration@o2c.test", now)).status_code == 200


def test_simple_salesforce_with_a_foreign_key_is_refused(harness):
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username="integration@o2c.test", consumer_key="o2c-client-id", privatekey=_other_key())
    assert exc.value.code == "invalid_grant"
