"""AvaTax-specific control endpoints under ``/_sim/avalara`` (loopback + token, bodies schema-checked
by the control gate against ``core/control_openapi.yaml``):

- ``GET/POST /_sim/avalara/accounts``: restrict the accounts (``allowed``), map usernames (``users``)
  and Bearer tokens (``tokens``) to accounts.
- ``GET/POST /_sim/avalara/credentials``: ``strict`` mode (only registered pairs pass), and the
  registered ``licenses`` (account id -> license key) and ``passwords`` (username -> password).
- ``POST /_sim/avalara/tokens`` ``{"account": 123456}``: issue a Bearer token for an account.
Credentials are never shown back: only counted.
"""
from __future__ import annotations

from ..core.control import control_body
from ..core.control_routes import ControlRoutes, json_response
from .state import AvaTaxState
from .state.accounts import canonical_account


def control_routes(state: AvaTaxState) -> ControlRoutes:
    bp = ControlRoutes("/_sim/avalara")
    acc = state.accounts

    def restriction():
        return {"allowed": acc.data["allowed_accounts"], "users": acc.data["account_users"],
                "tokens": len(acc.data["account_tokens"])}   # tokens are credentials: counted, not shown

    def credentials():
        return {"strict": acc.data["strict"], "licenses": len(acc.data["licenses"]),
                "passwords": len(acc.data["passwords"])}

    @bp.post("/accounts")
    def restrict_accounts():
        body = control_body()
        allowed = body.get("allowed")
        with acc.lock:
            acc.data["allowed_accounts"] = None if allowed is None else sorted({canonical_account(a) for a in allowed})
            acc.data["account_users"] = {u: canonical_account(a) for u, a in (body.get("users") or {}).items()}
            acc.data["account_tokens"] = {t: canonical_account(a) for t, a in (body.get("tokens") or {}).items()}
        return json_response(restriction())

    @bp.get("/accounts")
    def accounts():
        return json_response(restriction())

    @bp.post("/credentials")
    def register_credentials():
        body = control_body()
        with acc.lock:
            if "strict" in body:
                acc.data["strict"] = bool(body["strict"])
            for account, key in (body.get("licenses") or {}).items():
                acc.data["licenses"][canonical_account(account)] = key
            acc.data["passwords"].update(body.get("passwords") or {})
        return json_response(credentials())

    @bp.get("/credentials")
    def show_credentials():
        return json_response(credentials())

    @bp.post("/tokens")
    def issue_token():
        body = control_body()
        return json_response({"token": acc.issue_token(body["account"]), "account": int(canonical_account(body["account"]))},
                             201)

    return bp
