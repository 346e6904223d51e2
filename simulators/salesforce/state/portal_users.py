"""The customer portal's users: every seeded customer Account gets a Contact and a portal User.

Username ``billing@<customer key in lower case>.o2c.test`` (e.g. ``billing@acme-irvine.o2c.test``),
password ``o2c-portal-password``, profile *Customer Community User* (no API access: security.py).
A portal user sees only the records of its own Account (the portal's sharing, portal/records.py).
"""
from __future__ import annotations

from typing import Any

from .security import PORTAL

PORTAL_PASSWORD = "o2c-portal-password"


def portal_username(customer_key: str) -> str:
    return f"billing@{customer_key.lower()}.o2c.test"


def seed_portal_users(org, insert) -> None:
    """Inside the seed's transaction: a Contact per customer Account, then its portal user."""
    db = org.db
    for acct in sorted(db.table("Account").values(), key=lambda a: a["Id"]):
        key = acct.get("Customer_Key__c")
        if not key:
            continue
        username = portal_username(key)
        contact = db.create("Contact", {"AccountId": acct["Id"], "FirstName": "Billing", "LastName": acct["Name"][:80],
                                        "Email": username, "Title": "Accounts Payable"})
        org.security._put_user(username, {"profile": PORTAL, "name": f"Billing ({acct['Name']})"[:121],
                                          "alias": "portal", "email": username, "password": PORTAL_PASSWORD,
                                          "security_token": "", "contact_id": contact["Id"],
                                          "account_id": acct["Id"]}, insert)


def account_of(org, username: str) -> dict[str, Any] | None:
    """The Account a portal user belongs to (None for internal users)."""
    user = org.security.user(username)
    if not user or not user.get("account_id"):
        return None
    return org.db.find(user["account_id"], "Account")
