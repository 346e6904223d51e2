"""Logins and sessions: SOAP partner login, OAuth2 password / client_credentials / JWT bearer.

Default identity (DESIGN.md "Default credentials"): user ``integration@o2c.test``, password
``o2c-password`` + security token ``O2CTOKEN``; connected app ``o2c-client-id`` /
``o2c-client-secret``. Other users (``finance@o2c.test``, same password and token, and any added
through the control plane) come from ``security.py``; a session acts as the user who logged in
(client credentials run as the integration user, the connected app's "Run As" user). Sessions the fake issues are honoured until they are expired through the
control plane (``/_sim/salesforce/sessions/expire``), an optional inactivity timeout passes on the
simulated clock, or a fault rule returns a one-shot ``INVALID_SESSION_ID``.
"""
from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from simulators.core.ids import sf_id18

ORG_ID = sf_id18("00D5g00000O2C00")
USERNAME = "integration@o2c.test"
PASSWORD = "o2c-password"
SECURITY_TOKEN = "O2CTOKEN"
CLIENT_ID = "o2c-client-id"
CLIENT_SECRET = "o2c-client-secret"


class LoginFailed(Exception):
    def __init__(self, code: str, message: str, oauth_error: str = "invalid_grant"):
        super().__init__(message)
        self.code = code
        self.message = message
        self.oauth_error = oauth_error


class Sessions:
    def __init__(self, org):
        self.org = org

    @property
    def table(self) -> dict[str, Any]:
        return self.org.store.data["sessions"]

    def _issue(self, flow: str, client_id: str | None, user: str = USERNAME) -> str:
        token = f"{ORG_ID[:15]}!AQ{self.org.sim.secrets.token(8)}.{self.org.sim.secrets.token(64)}"
        now = self.org.sim.clock.now()
        self.table[token] = {"flow": flow, "client_id": client_id, "user": user, "issued_at": now,
                             "last_used": now}
        return token

    def user_of(self, token: str) -> dict[str, Any] | None:
        """The user record (security.py) a session acts as."""
        s = self.table.get(token)
        return self.org.security.user(s["user"]) if s else None

    def check(self, token: str | None) -> dict[str, Any] | None:
        if not token:
            return None
        s = self.table.get(token)
        if s is None:
            return None
        timeout = self.org.settings.get("session_timeout_seconds")
        now = self.org.sim.clock.now()
        if timeout and now - s["last_used"] > timedelta(seconds=timeout):
            self.table.pop(token, None)
            return None
        s["last_used"] = now
        return s

    def expire_all(self) -> int:
        n = len(self.table)
        self.table.clear()
        return n

    def _user_password(self, username: str, password: str) -> str:
        user = self.org.security.check_password(username, password)
        if user is None:
            raise LoginFailed("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.",
                              "invalid_grant")
        if password == user["password"] and not self.org.settings.get("trusted_ip_range", True):
            raise LoginFailed("LOGIN_MUST_USE_SECURITY_TOKEN", "Invalid username, password, security token; or "
                              "user locked out. Are you at a new location? ...")
        return user["username"]

    def soap_login(self, username: str, password: str) -> str:
        return self._issue("soap", None, self._user_password(username, password))

    def _client(self, client_id: str | None, client_secret: str | None, need_secret: bool = True) -> None:
        if client_id != CLIENT_ID:
            raise LoginFailed("invalid_client_id", "client identifier invalid", "invalid_client_id")
        if need_secret and client_secret != CLIENT_SECRET:
            raise LoginFailed("invalid_client", "invalid client credentials", "invalid_client")

    def oauth_password(self, form: dict[str, str]) -> str:
        self._client(form.get("client_id"), form.get("client_secret"))
        try:
            user = self._user_password(form.get("username", ""), form.get("password", ""))
        except LoginFailed:
            raise LoginFailed("invalid_grant", "authentication failure", "invalid_grant")
        return self._issue("password", form.get("client_id"), user)

    def oauth_client_credentials(self, form: dict[str, str], basic: tuple[str, str] | None) -> str:
        cid, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        self._client(cid, secret)
        return self._issue("client_credentials", cid)

    def oauth_jwt(self, form: dict[str, str], audiences: set[str]) -> str:
        """JWT bearer: header.payload.signature, RS256. The signature is checked against the
        certificate registered through ``/_sim/salesforce/jwt-certificate`` when there is one (a real
        connected app holds the uploaded certificate); claims are always checked."""
        assertion = form.get("assertion") or ""
        parts = assertion.split(".")
        if len(parts) != 3:
            raise LoginFailed("invalid_grant", "invalid assertion")
        try:
            header = json.loads(_b64(parts[0]))
            claims = json.loads(_b64(parts[1]))
        except ValueError:
            raise LoginFailed("invalid_grant", "invalid assertion")
        if header.get("alg") != "RS256":
            raise LoginFailed("invalid_grant", "invalid assertion")
        cert = self.org.settings.get("jwt_certificate")
        if cert:
            try:
                import jwt as pyjwt
                from cryptography import x509
                pem = cert.encode()
                key = x509.load_pem_x509_certificate(pem).public_key() if b"CERTIFICATE" in pem else pem
                pyjwt.decode(assertion, key, algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False})
            except Exception:
                raise LoginFailed("invalid_grant", "invalid assertion")
        if claims.get("iss") != CLIENT_ID:
            raise LoginFailed("invalid_client_id", "client identifier invalid", "invalid_client_id")
        subject = self.org.security.user(claims.get("sub"))
        if subject is None or not subject.get("active"):
            raise LoginFailed("invalid_grant", "user hasn't approved this consumer")
        if claims.get("aud") not in audiences:
            raise LoginFailed("invalid_grant", "audience is invalid")
        try:
            exp = int(float(claims.get("exp", 0)))
        except (TypeError, ValueError):
            exp = 0
        # exp is checked against the simulated clock only when the caller's clock agrees with it
        # (simple-salesforce stamps exp from the wall clock); expired in simulated terms by more
        # than a day means a stale assertion.
        if exp and exp < self.org.sim.clock.timestamp() - 86400 and self.org.settings.get("jwt_check_exp"):
            raise LoginFailed("invalid_grant", "expired authorization code")
        return self._issue("jwt", CLIENT_ID, subject["username"])


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
