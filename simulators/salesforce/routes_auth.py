"""Logins: SOAP partner ``login`` and OAuth2 ``/services/oauth2/token`` (password,
client_credentials, JWT bearer), plus ``/services/data`` (versions) and ``oauth2/revoke``."""
from __future__ import annotations

import base64
import re
from xml.sax.saxutils import escape

from flask import Flask, Response, request

from simulators.core.sim import json_response

from .state import API_VERSIONS
from .state.auth import ORG_ID, LoginFailed

SOAP_FAULT = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""

SOAP_OK = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{ver}/{org15}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>{sandbox}</sandbox><serverUrl>{base}/services/Soap/u/{ver}/{org15}</serverUrl><sessionId>{sid}</sessionId><userId>{user}</userId><userInfo><organizationId>{org}</organizationId><organizationName>O2C Harness</organizationName><userEmail>{username}</userEmail><userFullName>{fullname}</userFullName><userId>{user}</userId><userName>{username}</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""


def _xml_text(body: str, tag: str) -> str | None:
    m = re.search(rf"<(?:\w+:)?{tag}>(.*?)</(?:\w+:)?{tag}>", body, re.DOTALL)
    if not m:
        return None
    from xml.sax.saxutils import unescape
    return unescape(m.group(1), {"&quot;": '"', "&apos;": "'"})


def instance_url(org) -> str:
    return f"https://{request.host}" if org.live else "https://o2c.my.salesforce.com"


def register(app: Flask, org) -> None:
    def soap_login(version: str):
        body = request.get_data(as_text=True)
        username, password = _xml_text(body, "username"), _xml_text(body, "password")
        if username is None or password is None or "login" not in body:
            return Response(SOAP_FAULT.format(code="INVALID_LOGIN", message="Invalid request: no login element"),
                            500, mimetype="text/xml")
        try:
            sid = org.sessions.soap_login(username, password)
        except LoginFailed as exc:
            return Response(SOAP_FAULT.format(code=exc.code, message=escape(exc.message)), 500, mimetype="text/xml")
        sandbox = "true" if request.host.lower().startswith("test.") else "false"
        user = org.sessions.user_of(sid)
        return Response(SOAP_OK.format(base=instance_url(org), ver=version, org15=ORG_ID[:15], org=ORG_ID,
                                       sid=sid, user=user["id"], username=escape(user["username"]),
                                       fullname=escape(user["name"]), sandbox=sandbox), 200, mimetype="text/xml")

    app.add_url_rule("/services/Soap/u/<version>", endpoint="auth.soap_login", view_func=soap_login,
                     methods=["POST"])

    def oauth_token():
        form = request.form.to_dict()
        grant = form.get("grant_type", "")
        basic = None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                basic = (cid, secret)
            except ValueError:
                basic = None
        host = request.host.split(":")[0].lower()
        audiences = {"https://login.salesforce.com", "https://test.salesforce.com", f"https://{host}",
                     instance_url(org)}
        try:
            if grant == "password":
                token = org.sessions.oauth_password(form)
            elif grant == "client_credentials":
                token = org.sessions.oauth_client_credentials(form, basic)
            elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                token = org.sessions.oauth_jwt(form, audiences)
            else:
                return json_response({"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400)
        except LoginFailed as exc:
            return json_response({"error": exc.oauth_error, "error_description": exc.message}, 400)
        issued = str(org.sim.clock.timestamp() * 1000)
        inst = instance_url(org)
        return json_response({"access_token": token, "instance_url": inst,
                              "id": f"https://login.salesforce.com/id/{ORG_ID}/{org.sessions.user_of(token)['id']}",
                              "token_type": "Bearer", "issued_at": issued, "scope": "api",
                              "signature": base64.b64encode(org.sim.secrets.token(32).encode()).decode()})

    app.add_url_rule("/services/oauth2/token", endpoint="auth.oauth_token", view_func=oauth_token, methods=["POST"])

    def revoke():
        token = request.values.get("token")
        org.sessions.table.pop(token or "", None)
        return Response(b"", 200)

    app.add_url_rule("/services/oauth2/revoke", endpoint="auth.revoke", view_func=revoke, methods=["POST", "GET"])

    def versions():
        return json_response([{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS])

    app.add_url_rule("/services/data", endpoint="versions", view_func=versions, methods=["GET"])
