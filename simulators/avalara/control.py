"""AvaTax-specific control endpoints under ``/_sim/avalara`` (loopback only, plain JSON):

- ``GET/POST /_sim/avalara/accounts``: restrict which accounts authenticate (``allowed``: account ids,
  or null for any), map usernames and Bearer tokens to accounts (``users``, ``tokens``). Tokens are
  credentials: the answer counts them and never shows them.
"""
from __future__ import annotations

from typing import Any

from ..core.control import control_body
from ..core.control_routes import ControlRoutes, json_response
from .routes import _account
from .state import AvaTaxState


def control_routes(state: AvaTaxState) -> ControlRoutes:
    bp = ControlRoutes("/_sim/avalara")

    def restriction() -> dict[str, Any]:
        return {"allowed": state.data["allowed_accounts"], "users": state.data["account_users"],
                "tokens": len(state.data["account_tokens"])}   # tokens are credentials: counted, not shown

    @bp.post("/accounts")
    def restrict_accounts():
        body = control_body()   # schema-checked by the control gate (control_openapi.yaml)
        allowed = body.get("allowed")
        with state.store.lock:
            state.data["allowed_accounts"] = None if allowed is None else sorted({_account(a) for a in allowed})
            state.data["account_users"] = {u: _account(a) for u, a in (body.get("users") or {}).items()}
            state.data["account_tokens"] = {t: _account(a) for t, a in (body.get("tokens") or {}).items()}
        return json_response(restriction())

    @bp.get("/accounts")
    def accounts():
        return json_response(restriction())

    return bp
