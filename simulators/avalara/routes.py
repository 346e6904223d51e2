"""AvaTax REST v2 routes: parse the request, call the state, shape the answer. Paths and
parameters as the official SDK (avalara 26.x ``client_methods.py``) sends them."""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from flask import Flask, request

from ..core.control import control_body
from ..core.jsonutil import BadJson, loads
from ..core.sim import json_response
from .errors import AvaTaxError
from .state import AvaTaxState, shape
from .values import lower_keys

API = "/api/v2"
# AvaTax's URL escapes for characters a transaction code may hold (SDK docs on transaction codes).
CODE_ESCAPES = {"_-ava2f-_": "/", "_-ava2b-_": "+", "_-ava3f-_": "?", "_-ava25-_": "%", "_-ava23-_": "#",
                "_-ava5c-_": "\\", "_-ava2e-_": "."}


def decode_code(code: str) -> str:
    for esc, ch in CODE_ESCAPES.items():
        code = code.replace(esc, ch)
    return code


def json_body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = loads(raw)
    except BadJson as exc:
        raise AvaTaxError("ModelStateInvalid", "The request body does not represent a valid JSON object.",
                          str(exc), refers_to="body")
    if not isinstance(data, dict):
        raise AvaTaxError("ModelStateInvalid", "The request body must be a JSON object.", refers_to="body")
    return lower_keys(data)


ACCOUNT_ID = re.compile(r"[0-9]{1,12}")   # ASCII digits only (str.isdigit also takes "²" and Arabic digits)


def _account(value: Any) -> str:
    """The canonical form of an account id: "0999" and 999 are account 999."""
    return str(int(str(value)))


def credentials(state: AvaTaxState, strict: bool = True) -> dict[str, Any]:
    """Parse the Authorization header. Missing -> AuthenticationIncomplete; malformed or refused
    -> AuthenticationException (both 401, AvaTax's error body).

    Unrestricted (the default), any numeric account id with a license key, any username with a
    password and any Bearer token are accepted. Once ``/_sim/avalara/accounts`` restricts the
    accounts, every credential form must resolve to an allowed account: the account id itself
    (exactly digits: no spaces, signs or other numerals), a username mapped to an account
    (``users``), or a Bearer token mapped to one (``tokens``); anything else is refused."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise AvaTaxError("AuthenticationIncomplete", "Authentication Incomplete.",
                          "You must provide an Authorization header of the type Basic or Bearer to authenticate correctly.")
    scheme, _, value = header.partition(" ")
    failed = AvaTaxError("AuthenticationException", "Authentication failed.",
                         "Missing authentication or unable to authenticate the user or the account.")
    allowed = state.data["allowed_accounts"]
    if scheme.lower() == "bearer":
        token = value.strip()
        if not token:
            raise failed
        account = None
        if allowed is not None:
            account = state.data["account_tokens"].get(token)
            if account is None or account not in allowed:
                raise failed
        return {"type": "BearerToken", "user": "bearer", "account": int(account) if account else None,
                "caller": f"bearer:{token[:12]}"}
    if scheme.lower() != "basic":
        raise failed
    try:
        user, sep, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise failed
    if not sep or not user or not secret:
        raise failed
    if ACCOUNT_ID.fullmatch(user):
        if allowed is not None and _account(user) not in allowed:
            raise failed
        return {"type": "AccountIdLicenseKey", "user": user, "account": int(user), "caller": f"account:{user}"}
    account = None
    if allowed is not None:   # a username counts only as the account it is mapped to
        account = state.data["account_users"].get(user)
        if account is None or account not in allowed:
            raise failed
    return {"type": "UsernamePassword", "user": user, "account": int(account) if account else None,
            "caller": f"user:{user}"}


def register(app: Flask, state: AvaTaxState) -> None:
    def route(rule: str, endpoint: str, methods: list[str]):
        def deco(fn):
            app.add_url_rule(API + rule, endpoint=endpoint, view_func=fn, methods=methods)
            return fn
        return deco

    def answer(doc: dict[str, Any], status: int = 200):
        return json_response(shape(doc, request.args.get("$include")), status)

    doc_type = lambda: request.args.get("documentType")  # noqa: E731

    @route("/utilities/ping", "utilities.ping", ["GET"])
    def ping():
        try:
            who = credentials(state)
        except AvaTaxError:
            who = {"type": "None", "user": None, "account": None}
        return json_response({
            "version": "26.11.0", "authenticated": who["type"] != "None",
            "authenticationType": who["type"], "authenticatedUserName": who["user"],
            "authenticatedUserId": 1 if who["user"] else None, "authenticatedAccountId": who["account"],
            "authenticatedCompanyId": None, "crmid": "",
        })

    @route("/transactions/create", "transactions.create", ["POST"])
    def create():
        return answer(state.create(json_body()), 201)

    @route("/transactions/createoradjust", "transactions.createoradjust", ["POST"])
    def create_or_adjust():
        return answer(state.create_or_adjust(json_body()), 201)

    @route("/companies/<company>/transactions", "transactions.list", ["GET"])
    def list_transactions(company: str):
        docs = state.list(company)
        top = request.args.get("$top", type=int) or 1000
        skip = request.args.get("$skip", type=int) or 0
        page = [shape(d, request.args.get("$include") or "SummaryOnly") for d in docs[skip:skip + top]]
        return json_response({"@recordsetCount": len(docs), "value": page})

    @route("/companies/<company>/transactions/<path:code>", "transactions.get", ["GET"])
    def get(company: str, code: str):
        return answer(state.get(company, decode_code(code), doc_type()))

    @route("/companies/<company>/transactions/<path:code>/commit", "transactions.commit", ["POST"])
    def commit(company: str, code: str):
        body = json_body()
        if "commit" not in body:
            raise AvaTaxError("ValueRequiredError", "Field 'commit' is required.", refers_to="commit")
        return answer(state.commit(company, decode_code(code), doc_type(), bool(body["commit"])))

    @route("/companies/<company>/transactions/<path:code>/uncommit", "transactions.uncommit", ["POST"])
    def uncommit(company: str, code: str):
        return answer(state.uncommit(company, decode_code(code), doc_type()))

    @route("/companies/<company>/transactions/<path:code>/verify", "transactions.verify", ["POST"])
    def verify(company: str, code: str):
        return answer(state.verify(company, decode_code(code), doc_type(), json_body()))

    @route("/companies/<company>/transactions/<path:code>/void", "transactions.void", ["POST"])
    def void(company: str, code: str):
        return answer(state.void(company, decode_code(code), doc_type(), json_body().get("code")))

    @route("/companies/<company>/transactions/<path:code>/lock", "transactions.lock", ["POST"])
    def lock(company: str, code: str):
        return answer(state.lock(company, decode_code(code), doc_type(), json_body().get("islocked", True)))

    @route("/companies/<company>/transactions/<path:code>/adjust", "transactions.adjust", ["POST"])
    def adjust(company: str, code: str):
        return answer(state.adjust(company, decode_code(code), doc_type(), json_body()))

    @route("/companies/<company>/transactions/<path:code>/refund", "transactions.refund", ["POST"])
    def refund(company: str, code: str):
        return answer(state.refund(company, decode_code(code), doc_type(), json_body()), 201)

    @route("/addresses/resolve", "addresses.resolve", ["GET"])
    def resolve_get():
        return json_response(state.resolve_address(lower_keys(request.args.to_dict())))

    @route("/addresses/resolve", "addresses.resolve_post", ["POST"])
    def resolve_post():
        return json_response(state.resolve_address(json_body()))

    # The free TaxRates API (TaxRateModel: totalRate, rates[{rate, name, type}]), from the same table.
    @route("/taxrates/byaddress", "taxrates.byaddress", ["GET"])
    def taxrates_by_address():
        return json_response(state.tables.rates_for_address(lower_keys(request.args.to_dict()), state.sim.now().date()))

    @route("/taxrates/bypostalcode", "taxrates.bypostalcode", ["GET"])
    def taxrates_by_postal_code():
        return json_response(state.tables.rates_for_address(lower_keys(request.args.to_dict()), state.sim.now().date()))

    @route("/definitions/taxcodes", "definitions.taxcodes", ["GET"])
    def taxcodes():
        codes = [{"id": i, "companyId": 0, "taxCode": c["taxCode"], "taxCodeTypeId": c["taxCodeTypeId"],
                  "description": c["description"], "parentTaxCode": None, "isPhysical": c["isPhysical"],
                  "goodsServiceCode": 0, "entityUseCode": "", "isActive": True, "isSSTCertified": False}
                 for i, c in enumerate(state.tables.taxcodes.values(), start=1)]
        wanted = request.args.get("$filter", "")
        if wanted:
            # Supports the filter integrations use: taxCode eq 'X'
            parts = wanted.split()
            if len(parts) == 3 and parts[0].lower() == "taxcode" and parts[1].lower() == "eq":
                codes = [c for c in codes if c["taxCode"].upper() == parts[2].strip("'\"").upper()]
            else:
                raise AvaTaxError("ModelStateInvalid", f"Unsupported $filter '{wanted}': the harness supports "
                                  "\"taxCode eq 'CODE'\".", refers_to="$filter")
        return json_response({"@recordsetCount": len(codes), "value": codes})

    def restriction() -> dict[str, Any]:
        return {"allowed": state.data["allowed_accounts"], "users": state.data["account_users"],
                "tokens": len(state.data["account_tokens"])}   # tokens are credentials: counted, not shown

    @app.post("/_sim/avalara/accounts", endpoint="_sim_avalara_accounts")
    def restrict_accounts():
        body = control_body()   # schema-checked by the control gate (control_openapi.yaml)
        allowed = body.get("allowed")
        with state.store.lock:
            state.data["allowed_accounts"] = None if allowed is None else sorted({_account(a) for a in allowed})
            state.data["account_users"] = {u: _account(a) for u, a in (body.get("users") or {}).items()}
            state.data["account_tokens"] = {t: _account(a) for t, a in (body.get("tokens") or {}).items()}
        return json_response(restriction())

    @app.get("/_sim/avalara/accounts", endpoint="_sim_avalara_accounts_get")
    def accounts():
        return json_response(restriction())

