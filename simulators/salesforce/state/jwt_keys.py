"""The connected app's certificate for the OAuth 2.0 JWT bearer flow.

A real connected app holds the X.509 certificate its owner uploaded ("Use digital signatures");
Salesforce checks every assertion's RS256 signature against it. The fake's connected app
(``o2c-client-id``) starts with a default certificate whose key pair is generated at first use in
each process (random per run, never written to disk). Tests and the harness read both halves from
the control plane (``GET /_sim/salesforce/jwt-certificate``: loopback only, like every ``/_sim``
path) and sign assertions with the private key; users register their own certificate with
``PUT /_sim/salesforce/jwt-certificate {"certificate": "<PEM>"}`` and then only assertions signed
by their key are accepted.
"""
from __future__ import annotations

import datetime as _dt
import threading
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from simulators.core.errors import ControlError

_lock = threading.Lock()
_default: dict[str, str] = {}


def default_pair() -> dict[str, str]:
    """``{"certificate": PEM, "private_key": PEM}``, made once per process."""
    with _lock:
        if not _default:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "o2c-harness connected app")])
            # validity is metadata here (the signature check uses the public key); fixed dates keep
            # the wall clock out of the simulator
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(_dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc))
                    .not_valid_after(_dt.datetime(2040, 1, 1, tzinfo=_dt.timezone.utc))
                    .sign(key, hashes.SHA256()))
            _default["certificate"] = cert.public_bytes(serialization.Encoding.PEM).decode()
            _default["private_key"] = key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()).decode()
        return dict(_default)


def public_key(certificate_pem: str) -> Any:
    return x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()


def checked_certificate(pem: Any) -> str:
    """A PEM X.509 certificate with an RSA key, or a ControlError naming what is wrong."""
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        raise ControlError("certificate must be a PEM X.509 certificate (-----BEGIN CERTIFICATE-----)")
    try:
        key = public_key(pem)
    except ValueError as exc:
        raise ControlError(f"certificate is not a valid PEM X.509 certificate: {exc}")
    if not isinstance(key, rsa.RSAPublicKey):
        raise ControlError("the JWT bearer flow signs with RS256: the certificate must hold an RSA key")
    return pem
