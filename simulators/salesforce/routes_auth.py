"""Logins: SOAP partner ``login`` and OAuth2 ``/services/oauth2/token`` (password,
client_credentials, JWT bearer), plus ``/services/data`` (versions) and ``oauth2/revoke``.
The SOAP envelope is untrusted XML: parsed with ``defusedxml`` (no entities, no DTDs)."""
from __future__ import annotations

import base64
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from simulators.core.lane import Lane, LaneRequest

from .http import args, empty, form, host, json_answer, raw_answer
from .state import API_VERSIONS
from .state.auth import ORG_ID, LoginFailed

SOAP_FAULT = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""

SOAP_OK = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{ver}/{org15}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>{sandbox}</sandbox><serverUrl>{base}/services/Soap/u/{ver}/{org15}</serverUrl><sessionId>{sid}</sessionId><userId>{user}</userId><userInfo><organizationId>{org}</organizationId><organizationName>O2C Harness</organizationName><userEmail>{username}</userEmail><userFullName>{fullname}</userFullName><userId>{user}</userId><userName>{username}</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""


# an envelope that is not XML at all: the SOAP API's client fault (still HTTP 500, as every SOAP fault)
CLIENT_FAULT = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>{message}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def login_credentials(root: Element) -> tuple[str, str] | None:
    """(username, password) of the envelope's ``login`` call (any namespace prefix), or None."""
    for node in root.iter():
        if _local(node.tag) == "login":
            found = {_local(child.tag): child.text or "" for child in node}
            if "username" in found and "password" in found:
                return found["username"], found["password"]
            return None
    return None


def instance_url(org, req: LaneRequest) -> str:
    return f"https://{host(req)}" if org.live else "https://o2c.my.salesforce.com"


def soap_answer(template: str, status: int, **values: str):
    return raw_answer(template.format(**values), status, "text/xml; charset=utf-8")


def register(lane: Lane, org) -> None:
    def soap_login(req, version: str):
        try:
            root = fromstring(req.body())
        except (ParseError, DefusedXmlException, ValueError) as exc:
            return soap_answer(CLIENT_FAULT, 500, message=escape(f"Unable to parse the request: {exc}"))
        creds = login_credentials(root)
        if creds is None:
            return soap_answer(SOAP_FAULT, 500, code="INVALID_LOGIN", message="Invalid request: no login element")
        try:
            sid = org.sessions.soap_login(*creds, ip=req.environ.get("REMOTE_ADDR"))
        except LoginFailed as exc:
            return soap_answer(SOAP_FAULT, 500, code=exc.code, message=escape(exc.message))
        sandbox = "true" if host(req).lower().startswith("test.") else "false"
        user = org.sessions.user_of(sid)
        return soap_answer(SOAP_OK, 200, base=instance_url(org, req), ver=version, org15=ORG_ID[:15], org=ORG_ID,
                           sid=sid, user=user["id"], username=escape(user["username"]),
                           fullname=escape(user["name"]), sandbox=sandbox)

    lane.add("POST", "/services/Soap/u/<version>", "auth.soap_login", soap_login)

    def oauth_token(req):
        fields = form(req)
        grant = fields.get("grant_type", "")
        basic = None
        auth = req.header("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                basic = (cid, secret)
            except ValueError:
                basic = None
        hostname = host(req).split(":")[0].lower()
        audiences = {"https://login.salesforce.com", "https://test.salesforce.com", f"https://{hostname}",
                     instance_url(org, req)}
        try:
            if grant == "password":
                token = org.sessions.oauth_password(fields, req.environ.get("REMOTE_ADDR"))
            elif grant == "client_credentials":
                token = org.sessions.oauth_client_credentials(fields, basic)
            elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                token = org.sessions.oauth_jwt(fields, audiences)
            else:
                return json_answer({"error": "unsupported_grant_type", "error_description": "grant type not supported"},
                                   400)
        except LoginFailed as exc:
            return json_answer({"error": exc.oauth_error, "error_description": exc.message}, 400)
        issued = str(org.sim.clock.timestamp() * 1000)
        inst = instance_url(org, req)
        return json_answer({"access_token": token, "instance_url": inst,
                              "id": f"https://login.salesforce.com/id/{ORG_ID}/{org.sessions.user_of(token)['id']}",
                              "token_type": "Bearer", "issued_at": issued, "scope": "api",
                              "signature": base64.b64encode(org.sim.secrets.token(32).encode()).decode()})

    lane.add("POST", "/services/oauth2/token", "auth.oauth_token", oauth_token)

    def revoke(req):
        token = args(req).get("token") or form(req).get("token")
        org.sessions.table.pop(token or "", None)
        return empty(200)

    lane.add("POST", "/services/oauth2/revoke", "auth.revoke", revoke)
    lane.add("GET", "/services/oauth2/revoke", "auth.revoke", revoke)

    def versions(req):
        return json_answer([{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS])

    lane.add("GET", "/services/data", "versions", versions)
