"""Logins and sessions: SOAP partner login, OAuth2 password / client_credentials / JWT bearer.

Default identity (the README's "Default credentials"): user ``integration@o2c.test``, password
``o2c-password`` + security token ``O2CTOKEN``; connected app ``o2c-client-id`` /
``o2c-client-secret``. Other users (``finance@o2c.test``, same password and token, and any added
through the control plane) come from ``security.py``; a session acts as the user who logged in
(client credentials run as the integration user, the connected app's "Run As" user). Sessions the fake issues are honoured until they are expired through the
control plane (``/_sim/salesforce/sessions/expire``), an optional inactivity timeout passes on the
simulated clock, or a fault rule returns a one-shot ``INVALID_SESSION_ID``.
"""
from __future__ import annotations

import base64
import ipaddress
import json
from datetime import timedelta
from typing import Any

import jwt as pyjwt

from simulators.core.ids import sf_id18

from . import jwt_keys

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

    def _user_password(self, username: str, password: str, ip: str | None) -> str:
        """The user a username-password login (SOAP ``login``, OAuth password grant) is for. The
        password must carry the user's security token appended, unless the caller's address is in
        the org's trusted IP ranges (``trusted_ip_ranges``, CIDRs; none by default, as in a new org).
        A missing token is refused like any wrong password (help.salesforce.com "Reset Your Security
        Token"; api.meta "login()": ``INVALID_LOGIN`` "Invalid username, password, security token;
        or user locked out.")."""
        user = self.org.security.check_password(username, password)
        if user is not None and password != user["password"] + user["security_token"] \
                and not trusted(self.org.settings.get("trusted_ip_ranges") or [], ip):
            user = None
        if user is None:
            raise LoginFailed("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.",
                              "invalid_grant")
        if not self.org.security.api_enabled(user):
            # a user whose profile lacks "API Enabled" (the portal's community users): Salesforce refuses the
            # API login with API_DISABLED_FOR_ORG "API is not enabled for this Organization or Partner"
            # (the OAuth flows answer invalid_grant "authentication failure", as for any refused login)
            raise LoginFailed("API_DISABLED_FOR_ORG", "API is not enabled for this Organization or Partner")
        return user["username"]

    def soap_login(self, username: str, password: str, ip: str | None = None) -> str:
        return self._issue("soap", None, self._user_password(username, password, ip))

    def _client(self, client_id: str | None, client_secret: str | None, need_secret: bool = True) -> None:
        if client_id != CLIENT_ID:
            raise LoginFailed("invalid_client_id", "client identifier invalid", "invalid_client_id")
        if need_secret and client_secret != CLIENT_SECRET:
            raise LoginFailed("invalid_client", "invalid client credentials", "invalid_client")

    def oauth_password(self, form: dict[str, str], ip: str | None = None) -> str:
        self._client(form.get("client_id"), form.get("client_secret"))
        try:
            user = self._user_password(form.get("username", ""), form.get("password", ""), ip)
        except LoginFailed:
            raise LoginFailed("invalid_grant", "authentication failure", "invalid_grant")
        return self._issue("password", form.get("client_id"), user)

    def oauth_client_credentials(self, form: dict[str, str], basic: tuple[str, str] | None) -> str:
        cid, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        self._client(cid, secret)
        return self._issue("client_credentials", cid)

    def oauth_jwt(self, form: dict[str, str], audiences: set[str]) -> str:
        """JWT bearer (RFC 7523 as Salesforce runs it): an RS256 assertion signed with the key of the
        connected app's certificate (jwt_keys.py), ``iss`` = the client id, ``sub`` = the username,
        ``aud`` = login.salesforce.com / test.salesforce.com / this fake's own URL, ``exp`` in the
        future on the simulated clock. A bad signature and an unknown or inactive user get the same
        answer, so the endpoint does not tell which usernames exist."""
        assertion = form.get("assertion") or ""
        refused = LoginFailed("invalid_grant", "invalid assertion")
        parts = assertion.split(".")
        if len(parts) != 3:
            raise refused
        try:
            header = json.loads(_b64(parts[0]))
        except ValueError:
            raise refused
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise refused
        try:
            claims = pyjwt.decode(assertion, jwt_keys.public_key(self.jwt_certificate()), algorithms=["RS256"],
                                  options={"verify_aud": False, "verify_exp": False, "verify_iat": False,
                                           "verify_nbf": False, "verify_iss": False})
        except pyjwt.PyJWTError:
            raise refused
        if claims.get("iss") != CLIENT_ID:
            raise LoginFailed("invalid_client_id", "client identifier invalid", "invalid_client_id")
        aud = claims.get("aud")   # a string, or (RFC 7519 section 4.1.3) an array of strings
        if not any(isinstance(a, str) and a in audiences for a in (aud if isinstance(aud, list) else [aud])):
            raise LoginFailed("invalid_grant", "audience is invalid")
        try:
            exp = float(claims["exp"])
        except (KeyError, TypeError, ValueError):
            raise refused
        # jwt_check_exp: off only for clients that stamp exp from a wall clock far behind the
        # simulated one (docs/salesforce.md)
        if self.org.settings.get("jwt_check_exp", True) and exp <= self.org.sim.clock.timestamp():
            raise LoginFailed("invalid_grant", "expired authorization code")
        subject = self.org.security.user(claims.get("sub"))
        if subject is None or not subject.get("active") or not self.org.security.api_enabled(subject):
            raise refused   # the same answer as a bad signature
        return self._issue("jwt", CLIENT_ID, subject["username"])

    def jwt_certificate(self) -> str:
        """The PEM certificate registered for the connected app (the harness's default one unless a
        user registered theirs)."""
        return self.org.settings.get("jwt_certificate") or jwt_keys.default_pair()["certificate"]


def check_ranges(ranges: Any) -> list[str]:
    """``trusted_ip_ranges`` as set through the control plane: a list of CIDRs (ValueError if not)."""
    if not isinstance(ranges, list):
        raise ValueError("trusted_ip_ranges is a list of CIDRs, e.g. [\"10.0.0.0/8\"]")
    return [str(ipaddress.ip_network(str(r), strict=False)) for r in ranges]


def trusted(ranges: list[str], ip: str | None) -> bool:
    """Whether the caller's address is within one of the org's trusted IP ranges."""
    if not ip or not ranges:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr.version == net.version and addr in net
               for net in (ipaddress.ip_network(r, strict=False) for r in ranges))


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
