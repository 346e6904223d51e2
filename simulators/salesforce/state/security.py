"""Users, profiles and field-level security (FLS).

Every session belongs to a user, and every user has a profile. A profile lists, per object, the
fields its users may read but not edit. Writes through the API (REST sObject create / update /
upsert, sObject collections, composite subrequests) that set such a field are refused exactly as
Salesforce refuses them: 400 ``INVALID_FIELD_FOR_INSERT_UPDATE`` "Unable to create/update fields:
X, Y. Please check the security settings of this field and verify that it is read/write for your
profile or permission set." naming every offending field. Describe shows those fields as neither
createable nor updateable for that user.

Not enforced (as in Salesforce): record-triggered roll-ups and the org's own automation (the
collections flow, scheduled on the clock) run in system context, and Apex REST classes run in
system mode (``with sharing`` / ``WITH SECURITY_ENFORCED`` are not modelled).

Default users (same password ``o2c-password`` and token ``O2CTOKEN``):

- ``integration@o2c.test``, profile *System Administrator*: edits everything (the default identity);
- ``finance@o2c.test``, profile *O2C Finance*: the invoice mirror (amounts, status, dates, ERP /
  AvaTax / Stripe ids, its lines and payments) is read-only: the ERP is the billing system of
  record and only the integration writes the mirror. Finance may still put an invoice on hold,
  record a dispute status and write notes.

Profiles also carry object permissions (``object_permissions``: per object, ``create`` and
``delete``; absent means allowed). A create or delete the acting user's profile does not permit is
refused as Salesforce refuses it: 403 ``INSUFFICIENT_ACCESS_OR_READONLY`` "insufficient access
rights on object id", on sObject, sObject-collection and composite requests alike. *O2C Finance*
may neither create nor delete the invoice mirror, its lines or payments.

Profiles may also hide fields (``hidden``: per object, the fields without read access) and deny
reading an object (``object_permissions``: ``read``); SOQL enforces both (docs/salesforce.md).

Both are editable through ``/_sim/salesforce/security`` (docs/salesforce.md).
"""
from __future__ import annotations

import contextvars
import copy
from contextlib import contextmanager
from typing import Any, Iterator

from simulators.core.errors import ControlError

from .auth import PASSWORD as DEFAULT_PASSWORD, SECURITY_TOKEN as DEFAULT_TOKEN

ADMIN = "System Administrator"
FINANCE = "O2C Finance"
PORTAL = "Customer Community User"   # the portal users of the customer accounts (state/portal_users.py)

MIRROR_READ_ONLY: dict[str, list[str]] = {
    "blng__Invoice__c": ["blng__Account__c", "blng__Order__c", "blng__InvoiceDate__c", "blng__DueDate__c",
                         "blng__InvoiceStatus__c", "blng__PaymentStatus__c", "blng__Subtotal__c",
                         "blng__TaxAmount__c", "blng__TotalAmount__c", "blng__Balance__c", "ERP_Invoice_Id__c",
                         "ERP_Document_Number__c", "AvaTax_Document_Code__c", "Stripe_Invoice_Id__c",
                         "Hosted_Invoice_URL__c", "Paid_At__c", "Source_System__c"],
    "blng__InvoiceLine__c": ["blng__Invoice__c", "blng__Product__c", "blng__Quantity__c", "blng__UnitPrice__c",
                             "blng__Subtotal__c", "blng__TaxAmount__c", "blng__TotalAmount__c", "ERP_Line_Key__c"],
    "blng__Payment__c": ["blng__Account__c", "blng__Invoice__c", "blng__Amount__c", "blng__Status__c",
                         "blng__PaymentDate__c", "Gateway_Charge_Id__c", "Gateway_Event_Id__c"],
}

MIRROR_NO_CREATE_DELETE: dict[str, dict[str, bool]] = {
    name: {"create": False, "delete": False} for name in MIRROR_READ_ONLY}
OBJECT_ACTIONS = ("create", "delete", "read")

DEFAULT_PROFILES: dict[str, dict[str, Any]] = {
    ADMIN: {"description": "Full access (the integration user)", "read_only": {}, "object_permissions": {}},
    FINANCE: {"description": "Finance: the ERP-billed invoice mirror is read-only", "read_only": MIRROR_READ_ONLY,
              "object_permissions": MIRROR_NO_CREATE_DELETE},
    # External profiles have "API Enabled" off (Salesforce Summer '19 critical update "Disable the API
    # Enabled User Permission Defaults for External Profiles"): portal users use the site, not the API.
    PORTAL: {"description": "Customer community: the billing portal only, no API access", "read_only": {},
             "object_permissions": {}, "api_enabled": False},
}
DEFAULT_USERS: dict[str, dict[str, Any]] = {
    "integration@o2c.test": {"name": "O2C Integration", "alias": "o2cint", "profile": ADMIN},
    "finance@o2c.test": {"name": "O2C Finance", "alias": "o2cfin", "profile": FINANCE},
}

# The user the current API request acts as; None = system context (automation, seed, Apex).
_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("salesforce_acting_user", default=None)


def empty_security() -> dict[str, Any]:
    return {"profiles": {}, "users": {}}


class Security:
    def __init__(self, org):
        self.org = org

    @property
    def data(self) -> dict[str, Any]:
        return self.org.store.data["security"]

    # ---- seed (every reset) -----------------------------------------------------------------
    def seed(self, insert) -> None:
        """Create the default profiles and users (``insert``: the seed's setup-data insert)."""
        for name, spec in DEFAULT_PROFILES.items():
            self._put_profile(name, copy.deepcopy(spec), insert)
        for username, spec in DEFAULT_USERS.items():
            self._put_user(username, dict(spec), insert)

    def _put_profile(self, name: str, spec: dict[str, Any], insert=None) -> dict[str, Any]:
        existing = self.data["profiles"].get(name)
        if existing is None:
            rec = (insert or self._insert)("Profile", {"Name": name, "Description": spec.get("description")})
            existing = {"id": rec["Id"]}
        existing.update(description=spec.get("description"), read_only=self._checked(spec.get("read_only") or {}),
                        object_permissions=self._checked_objects(spec.get("object_permissions") or {}),
                        hidden=self._checked(spec.get("hidden") or {}),
                        api_enabled=bool(spec.get("api_enabled", existing.get("api_enabled", True))))
        self.data["profiles"][name] = existing
        return existing

    def _put_user(self, username: str, spec: dict[str, Any], insert=None) -> dict[str, Any]:
        profile = spec.get("profile")
        if profile not in self.data["profiles"]:
            raise ControlError(f"unknown profile {profile!r}; known: {sorted(self.data['profiles'])}")
        user = self.data["users"].get(username.lower())
        values = {"Name": spec.get("name") or username, "Username": username, "Email": spec.get("email") or username,
                  "IsActive": bool(spec.get("active", True)), "Alias": (spec.get("alias") or username)[:8],
                  "ProfileId": self.data["profiles"][profile]["id"]}
        if spec.get("contact_id"):   # a portal user: the Contact (and its Account) it belongs to
            values.update(ContactId=spec["contact_id"], AccountId=spec.get("account_id"))
        if user is None:
            rec = (insert or self._insert)("User", values)
            user = {"id": rec["Id"], "username": username}
        else:
            rec = self.org.db.find(user["id"], "User")
            if rec is not None:
                rec.update(values)
        user.update(profile=profile, name=values["Name"], active=values["IsActive"],
                    password=spec.get("password", user.get("password", DEFAULT_PASSWORD)),
                    security_token=spec.get("security_token", user.get("security_token", DEFAULT_TOKEN)))
        if spec.get("contact_id"):
            user.update(contact_id=spec["contact_id"], account_id=spec.get("account_id"))
        self.data["users"][username.lower()] = user
        return user

    def _insert(self, sobject: str, values: dict[str, Any]) -> dict[str, Any]:
        from .seed import _system_insert
        return _system_insert(self.org, sobject, values)

    def _checked(self, read_only: dict[str, Any]) -> dict[str, list[str]]:
        if not isinstance(read_only, dict):
            raise ControlError("read_only must map an object name to a list of field names")
        out: dict[str, list[str]] = {}
        for sobject, names in read_only.items():
            obj = self.org.registry.get(sobject)
            if obj is None:
                raise ControlError(f"unknown object {sobject!r}")
            if not isinstance(names, list):
                raise ControlError(f"read_only.{sobject} must be a list of field names")
            fields = []
            for n in names:
                f = obj.field(str(n))
                if f is None:
                    raise ControlError(f"unknown field {obj.name}.{n}")
                fields.append(f.name)
            out[obj.name] = fields
        return out

    def _checked_objects(self, perms: dict[str, Any]) -> dict[str, dict[str, bool]]:
        if not isinstance(perms, dict):
            raise ControlError("object_permissions must map an object name to {\"create\": bool, \"delete\": bool}")
        out: dict[str, dict[str, bool]] = {}
        for sobject, actions in perms.items():
            obj = self.org.registry.get(sobject)
            if obj is None:
                raise ControlError(f"unknown object {sobject!r}")
            if not isinstance(actions, dict) or set(actions) - set(OBJECT_ACTIONS) or \
                    not all(isinstance(v, bool) for v in actions.values()):
                raise ControlError(f"object_permissions.{sobject} must be {{\"create\": bool, \"delete\": bool}}")
            out[obj.name] = dict(actions)
        return out

    # ---- control plane ------------------------------------------------------------------------
    def view(self) -> dict[str, Any]:
        profiles = {n: {"id": p["id"], "description": p.get("description"), "read_only": p["read_only"],
                        "object_permissions": p.get("object_permissions", {}), "api_enabled": p.get("api_enabled", True),
                        "hidden": p.get("hidden", {})}
                    for n, p in self.data["profiles"].items()}
        users = [{"username": u["username"], "id": u["id"], "name": u["name"], "profile": u["profile"],
                  "active": u["active"]} for u in self.data["users"].values()]
        return {"profiles": profiles, "users": users}

    def set_profile(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        unknown = set(body) - {"description", "read_only", "object_permissions", "api_enabled", "hidden"}
        if unknown:
            raise ControlError(f"unknown fields {sorted(unknown)}; a profile has description, read_only, "
                               f"object_permissions, api_enabled and hidden")
        with self.org.store.lock:
            self._put_profile(name, body)
        return self.view()["profiles"][name]

    def set_user(self, username: str, body: dict[str, Any]) -> dict[str, Any]:
        unknown = set(body) - {"profile", "name", "email", "alias", "active", "password", "security_token"}
        if unknown:
            raise ControlError(f"unknown fields {sorted(unknown)}")
        current = self.data["users"].get(username.lower(), {})
        spec = {"profile": current.get("profile"), "name": current.get("name"), "active": current.get("active", True),
                **body}
        if "@" not in username:
            raise ControlError("a username looks like an email address")
        with self.org.store.lock:
            user = self._put_user(username, spec)
        return {k: user[k] for k in ("username", "id", "name", "profile", "active")}

    # ---- logins -------------------------------------------------------------------------------
    def user(self, username: str | None) -> dict[str, Any] | None:
        return self.data["users"].get((username or "").lower())

    def check_password(self, username: str, password: str) -> dict[str, Any] | None:
        """The active user whose password (with or without the security token) this is."""
        user = self.user(username)
        if user is None or not user.get("active"):
            return None
        if password not in (user["password"] + user["security_token"], user["password"]):
            return None
        return user

    def api_enabled(self, user: dict[str, Any] | None) -> bool:
        """Whether the user's profile has the "API Enabled" permission."""
        profile = self.data["profiles"].get((user or {}).get("profile")) or {}
        return bool(profile.get("api_enabled", True))

    # ---- who is acting ---------------------------------------------------------------------------
    @staticmethod
    def act_as(username: str) -> contextvars.Token:
        return _acting.set(username)

    @staticmethod
    def release(token: contextvars.Token) -> None:
        _acting.reset(token)

    @staticmethod
    @contextmanager
    def system_mode() -> Iterator[None]:
        token = _acting.set(None)
        try:
            yield
        finally:
            _acting.reset(token)

    def acting_user(self) -> dict[str, Any] | None:
        name = _acting.get()
        return self.user(name) if name else None

    def acting_user_id(self) -> str | None:
        user = self.acting_user()
        return user["id"] if user else None

    def read_only(self, sobject: str, names: list[str]) -> list[str]:
        """Of ``names`` (fields of ``sobject`` in a write), those the acting user may not edit."""
        user = self.acting_user()
        if user is None:
            return []
        profile = self.data["profiles"].get(user["profile"]) or {}
        locked = set((profile.get("read_only") or {}).get(sobject, ()))
        return [n for n in names if n in locked]

    def may(self, sobject: str, action: str) -> bool:
        """Whether the acting user's profile permits ``action`` (create / delete) on ``sobject``."""
        user = self.acting_user()
        if user is None:
            return True
        profile = self.data["profiles"].get(user["profile"]) or {}
        return (profile.get("object_permissions") or {}).get(sobject, {}).get(action, True)

    def hidden(self, sobject: str) -> set[str]:
        """Fields of ``sobject`` the acting user's profile may not read (no field-level read access):
        SOQL treats them as absent, or refuses a WITH SECURITY_ENFORCED query naming them."""
        user = self.acting_user()
        if user is None:
            return set()
        profile = self.data["profiles"].get(user["profile"]) or {}
        return set((profile.get("hidden") or {}).get(sobject, ()))
