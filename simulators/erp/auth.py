"""Token-based authentication (OAuth 1.0a, HMAC-SHA256, realm = account id) and Bearer tokens.

The signature is recomputed with oauthlib's RFC 5849 helpers (base string from the method, the
request URL as the client addressed it, and the query + oauth_* parameters; JSON bodies are not
signed, as in NetSuite). Nonces are remembered per (consumer, token, timestamp, nonce) and a replay
is refused. Timestamp skew: most clients sign with the wall clock while the harness runs on a
simulated clock, so skew is checked only when ``oauth_max_skew`` (seconds) is configured, and then
against the *simulated* clock.
"""
from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from oauthlib.oauth1.rfc5849 import signature as sig
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from .errors import InvalidLogin

DEFAULTS = {
    "account": "O2C_SB1",
    "consumer_key": "o2c-consumer-key", "consumer_secret": "o2c-consumer-secret",
    "token_id": "o2c-token-id", "token_secret": "o2c-token-secret",
    "bearer": "o2c-erp-token",
}


@lru_cache(maxsize=1024)
def _base_uri(url: str) -> str:
    """The base string URI of a request URL (a pure function of it; clients call few URLs)."""
    return sig.base_string_uri(url)


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that takes any text (hmac refuses non-ASCII str): a non-ASCII
    credential is simply wrong, NetSuite's 401."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


class Authenticator:
    def __init__(self, clock, credentials: dict[str, str] | None = None, max_skew: float | None = None,
                 nonce_memory: int = 200_000):
        self.clock = clock
        self.creds = {**DEFAULTS, **(credentials or {})}
        self.max_skew = max_skew
        self._nonces: OrderedDict[tuple, None] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = nonce_memory

    def reset(self) -> None:
        with self._lock:
            self._nonces.clear()

    def __call__(self, header: str, method: str, url: str, query: str, content_type: str = "",
                 body: bytes = b"") -> str:
        """The caller's identity, or NetSuite's 401. ``url`` is the request URL as the client
        addressed it (scheme, host, path; no query): the OAuth 1.0a base string is built from it."""
        if header[:2] in ("b'", 'b"') and header[-1:] == header[1]:
            # requests_oauthlib sets the header as bytes; the in-process transport (core/transport.py)
            # passes header values through str(), giving "b'OAuth ...'". Undo that here.
            header = header[2:-1]
        realm = self.creds["account"]
        if not header:
            raise InvalidLogin("token_rejected", realm)
        scheme = header.split(" ", 1)[0].lower()
        if scheme == "bearer":
            token = header.split(" ", 1)[1].strip() if " " in header else ""
            if _same(token, self.creds["bearer"]):
                return "bearer:" + token[:8]
            raise InvalidLogin("invalid_token", realm)
        if scheme != "oauth":
            raise InvalidLogin("token_rejected", realm)
        return self._oauth1(header, method, url, query, content_type, body)

    def _oauth1(self, header: str, method: str, url: str, query: str, content_type: str,
                body: bytes) -> str:
        realm_expected = self.creds["account"]
        try:
            pairs = oauth_utils.parse_authorization_header(header)
            fields = {k: oauth_utils.unescape(v) for k, v in pairs}
        except Exception:
            raise InvalidLogin("token_rejected", realm_expected)
        if fields.get("realm") != realm_expected:
            raise InvalidLogin("token_rejected", realm_expected)
        if fields.get("oauth_signature_method") != "HMAC-SHA256":
            raise InvalidLogin("signature_method_rejected", realm_expected)
        if fields.get("oauth_consumer_key") != self.creds["consumer_key"] or \
                fields.get("oauth_token") != self.creds["token_id"]:
            raise InvalidLogin("token_rejected", realm_expected)
        ts, nonce = fields.get("oauth_timestamp", ""), fields.get("oauth_nonce", "")
        if not ts.isdigit() or not nonce or "oauth_signature" not in fields:
            raise InvalidLogin("parameter_rejected", realm_expected)
        if self.max_skew is not None and abs(int(ts) - self.clock.timestamp()) > self.max_skew:
            raise InvalidLogin("timestamp_refused", realm_expected)
        form: Any = None
        if content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded":
            form = body.decode("utf-8", "replace")
        # sig.collect_parameters(headers=...) would parse the header a second time: its parameters
        # are taken from the parse above, as collect_parameters takes them (no realm, no signature,
        # oauth_* unescaped); the query's and the form's go through it unchanged
        params = sig.collect_parameters(uri_query=query, body=form, exclude_oauth_signature=True)
        params += [(k, oauth_utils.unescape(v) if k.startswith("oauth_") else v) for k, v in pairs
                   if k not in ("realm", "oauth_signature")]
        base = sig.signature_base_string(method, _base_uri(url), sig.normalize_parameters(params))
        client = SimpleNamespace(client_secret=self.creds["consumer_secret"],
                                 resource_owner_secret=self.creds["token_secret"])
        expected = sig.sign_hmac_sha256_with_client(base, client)
        if not _same(expected, fields["oauth_signature"]):
            raise InvalidLogin("signature_invalid", realm_expected)
        key = (fields["oauth_consumer_key"], fields["oauth_token"], ts, nonce)
        with self._lock:
            if key in self._nonces:
                raise InvalidLogin("nonce_used", realm_expected)
            self._nonces[key] = None
            while len(self._nonces) > self._keep:
                self._nonces.popitem(last=False)
        return "tba:" + fields["oauth_token"]
