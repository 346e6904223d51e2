"""Who may call the fake AvaTax, and how a request's ``Authorization`` header is read. No Flask here.

By default (the documented default credentials) any numeric account id with a non-empty license
key and any username with a non-empty password pass. Bearer tokens pass only when issued
(``/_sim/avalara/tokens``) or registered (``/_sim/avalara/accounts`` ``tokens``). Two switches:
- restriction (``/_sim/avalara/accounts``): every credential must resolve to an allowed account
  (an account id itself, a username mapped in ``users``, a token mapped in ``tokens``);
- strict mode (``/_sim/avalara/credentials``): only registered account/license-key and
  username/password pairs pass.
Missing header -> AuthenticationIncomplete; anything else refused -> AuthenticationException (401).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import Any

from ..errors import AvaTaxError
from ..memo import StampedMemo

ACCOUNT_ID = re.compile(r"[0-9]{1,12}")   # ASCII digits only (str.isdigit also takes "²" and Arabic digits)


def canonical_account(value: Any) -> str:
    """The canonical form of an account id: "0999" and 999 are account 999."""
    return str(int(str(value)))


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


class AccountStore:
    def __init__(self, sim):
        self.sim = sim
        self.store = sim.store(lambda: {"allowed_accounts": None, "account_users": {}, "account_tokens": {},
                                        "strict": False, "licenses": {}, "passwords": {}})
        self.lock = self.store.lock
        # what each Authorization header resolved to, until the credentials next change
        self._resolved = StampedMemo(self.lock, size=1024)

    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    def issue_token(self, account: Any) -> str:
        with self.lock:
            token = self.sim.secrets.token(40)
            self.data["account_tokens"][token] = canonical_account(account)
            return token

    def credentials(self, header: str) -> dict[str, Any]:
        """Who ``header`` authenticates (a dict the caller must not change), or AvaTax's 401."""
        return self._resolved.get(header, lambda: self._resolve(header))

    def _resolve(self, header: str) -> dict[str, Any]:
        if not header:
            raise AvaTaxError("AuthenticationIncomplete", "Authentication Incomplete.",
                              "You must provide an Authorization header of the type Basic or Bearer to authenticate "
                              "correctly.")
        scheme, _, value = header.partition(" ")
        failed = AvaTaxError("AuthenticationException", "Authentication failed.",
                             "Missing authentication or unable to authenticate the user or the account.")
        data = self.data
        allowed = data["allowed_accounts"]
        if scheme.lower() == "bearer":
            account = data["account_tokens"].get(value.strip())
            if account is None or (allowed is not None and account not in allowed):
                raise failed
            return {"type": "BearerToken", "user": "bearer", "account": int(account),
                    "caller": f"bearer:{value.strip()[:12]}"}
        if scheme.lower() != "basic":
            raise failed
        try:
            user, sep, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise failed
        if not sep or not user or not secret.strip():
            raise failed
        if ACCOUNT_ID.fullmatch(user):
            account = canonical_account(user)
            if allowed is not None and account not in allowed:
                raise failed
            if data["strict"] and not _same(data["licenses"].get(account), secret):
                raise failed
            return {"type": "AccountIdLicenseKey", "user": user, "account": int(user), "caller": f"account:{user}"}
        if data["strict"] and not _same(data["passwords"].get(user), secret):
            raise failed
        account = None
        if allowed is not None:   # a username counts only as the account it is mapped to
            account = data["account_users"].get(user)
            if account is None or account not in allowed:
                raise failed
        return {"type": "UsernamePassword", "user": user, "account": int(account) if account else None,
                "caller": f"user:{user}"}
