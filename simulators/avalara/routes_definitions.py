"""AvaTax utility, address and definition routes (all reads: served inline)."""
from __future__ import annotations

from .errors import AvaTaxError
from .query import apply
from .routes import Call, Route
from .state import AvaTaxState

ADDRESS_ARGS = ("line1", "line2", "line3", "city", "region", "postalcode", "country")


def ping(st: AvaTaxState, call: Call):
    try:
        who = st.accounts.credentials(call.authorization)
    except AvaTaxError:
        who = {"type": "None", "user": None, "account": None}
    return {"version": "26.11.0", "authenticated": who["type"] != "None", "authenticationType": who["type"],
            "authenticatedUserName": who["user"], "authenticatedUserId": 1 if who["user"] else None,
            "authenticatedAccountId": who["account"], "authenticatedCompanyId": None, "crmid": ""}


def _address(call: Call) -> dict[str, str]:
    return {k: call.args[k] for k in ADDRESS_ARGS if k in call.args}


def resolve_get(st: AvaTaxState, call: Call):
    return st.definitions.resolve_address(_address(call))


def resolve_post(st: AvaTaxState, call: Call):
    if not isinstance(call.body, dict):
        raise AvaTaxError("ModelStateInvalid", "The request body must be a JSON object.", refers_to="body")
    return st.definitions.resolve_address(call.body)


def taxcodes(st: AvaTaxState, call: Call):
    return apply(st.definitions.taxcodes(), call.args)


def company_taxcodes(st: AvaTaxState, call: Call, company_id: str):
    return apply(st.definitions.taxcodes(st.companies.get(company_id)["id"]), call.args)


def entity_use_codes(st: AvaTaxState, call: Call):
    return apply(st.definitions.entity_use_codes(), call.args)


def nexus(st: AvaTaxState, call: Call):
    return apply(st.companies.nexus(), call.args)


def company_nexus(st: AvaTaxState, call: Call, company_id: str):
    return apply(st.companies.nexus(st.companies.get(company_id)["id"]), call.args)


def rates_by_address(st: AvaTaxState, call: Call):
    return st.definitions.tax_rates(_address(call))


def rates_by_postal_code(st: AvaTaxState, call: Call):
    for name in ("country", "postalcode"):
        if not call.args.get(name):
            raise AvaTaxError("ValueRequiredError", f"Field '{name}' is required.", refers_to=name)
    return st.definitions.tax_rates({"country": call.args["country"], "postalcode": call.args["postalcode"]})


def jurisdictions_near(st: AvaTaxState, call: Call):
    return apply(st.definitions.jurisdictions_near(_address(call)), call.args)


TABLE = [
    Route("GET", "/utilities/ping", "utilities.ping", ping, inline=True),
    Route("GET", "/addresses/resolve", "addresses.resolve", resolve_get, inline=True),
    Route("POST", "/addresses/resolve", "addresses.resolve_post", resolve_post, inline=True),
    Route("GET", "/definitions/taxcodes", "definitions.taxcodes", taxcodes, inline=True),
    Route("GET", "/taxcodes", "taxcodes.query", taxcodes, inline=True),
    Route("GET", "/definitions/entityusecodes", "definitions.entityusecodes", entity_use_codes, inline=True),
    Route("GET", "/definitions/nexus", "definitions.nexus", nexus, inline=True),
    Route("GET", "/definitions/jurisdictionsnearaddress", "definitions.jurisdictionsnearaddress",
          jurisdictions_near, inline=True),
    Route("GET", "/taxrates/byaddress", "taxrates.byaddress", rates_by_address, inline=True),
    Route("GET", "/taxrates/bypostalcode", "taxrates.bypostalcode", rates_by_postal_code, inline=True),
    Route("GET", "/companies/<company_id>/taxcodes", "taxcodes.list_by_company", company_taxcodes, inline=True),
    Route("GET", "/companies/<company_id>/nexus", "nexus.list_by_company", company_nexus, inline=True),
]
