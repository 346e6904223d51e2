"""Portal sessions (OWASP Session Management and CSRF Prevention cheat sheets).

- The session id is 256 random bits (``secrets``), kept server side in the org's store; the
  cookie ``sid`` is ``HttpOnly``, ``SameSite=Lax`` and, over HTTPS, ``Secure``.
- Login issues a new session id (the anonymous pre-login session is dropped: no fixation).
- Idle and absolute timeouts run on the simulated clock (settings ``portal_idle_timeout_seconds``,
  ``portal_absolute_timeout_seconds``); logout deletes the session on the server.
- Every session (anonymous ones too, so the login form has one) carries a synchronizer CSRF token;
  every POST must echo it in ``csrf_token``, compared in constant time.
- Failed logins are counted per username, known or not, in a sliding window; past the limit every
  attempt for that username (even with the right password) gets the same answer as a wrong
  password, so the answers never tell which usernames exist.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

COOKIE = "sid"


class PortalSessions:
    def __init__(self, org):
        self.org = org

    @property
    def data(self) -> dict[str, Any]:
        return self.org.store.data["portal"]

    def _now(self):
        return self.org.sim.clock.now()

    def new(self, username: str | None = None, account_id: str | None = None) -> tuple[str, dict[str, Any]]:
        sid = secrets.token_urlsafe(32)
        now = self._now()
        s = {"user": username, "account_id": account_id, "csrf": secrets.token_urlsafe(32), "created": now,
             "last_seen": now, "attempts": {}}
        with self.org.store.lock:
            self.data["sessions"][sid] = s
        return sid, s

    def get(self, sid: str | None) -> dict[str, Any] | None:
        """The live session for ``sid`` (touching its idle timer), or None once expired or unknown."""
        if not sid:
            return None
        settings, now = self.org.settings, self._now()
        with self.org.store.lock:
            s = self.data["sessions"].get(sid)
            if s is None:
                return None
            idle = timedelta(seconds=settings["portal_idle_timeout_seconds"])
            absolute = timedelta(seconds=settings["portal_absolute_timeout_seconds"])
            if now - s["last_seen"] > idle or now - s["created"] > absolute:
                self.data["sessions"].pop(sid, None)
                return None
            s["last_seen"] = now
            return s

    def drop(self, sid: str | None) -> None:
        with self.org.store.lock:
            self.data["sessions"].pop(sid or "", None)

    @staticmethod
    def csrf_ok(session: dict[str, Any] | None, token: str | None) -> bool:
        return bool(session and token) and hmac.compare_digest(session["csrf"].encode(), token.encode())

    # ---- login throttling ---------------------------------------------------------------------
    def locked(self, username: str) -> bool:
        return len(self._recent(username)) >= self.org.settings["portal_login_max_failures"]

    def failed(self, username: str) -> None:
        with self.org.store.lock:
            self._recent(username).append(self._now())

    def succeeded(self, username: str) -> None:
        with self.org.store.lock:
            self.data["failures"].pop(username.strip().lower(), None)

    def _recent(self, username: str) -> list:
        window = timedelta(seconds=self.org.settings["portal_login_window_seconds"])
        now = self._now()
        key = username.strip().lower()
        kept = [t for t in self.data["failures"].get(key, []) if now - t < window]
        self.data["failures"][key] = kept
        return kept
