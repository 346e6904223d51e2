"""A seeded adversarial request generator for the fakes, run in-process (werkzeug's test client
against each fake's WSGI app: no sockets, a few thousand requests a second).

``run(name, count, seed)`` builds the fake, starts from its valid requests (``targets.py``) and
applies one or two seeded mutations to each: unknown paths, wrong methods, unsupported media types,
malformed or truncated bodies, invalid UTF-8, deep nesting, huge numbers, wrong types, non-ASCII
and malformed credentials, odd query parameters, bad dates and escapes in SOQL / SuiteQL. Every
answer is classified: a 5xx the vendor would not give, or an error body not in the vendor's shape,
is a finding. The same seed gives the same requests.
"""
from __future__ import annotations

import base64
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from werkzeug.test import Client

from simulators import registry

from .targets import TARGETS, Req, Target

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND")
NON_ASCII = ("²", "é", "Ã©", "\u00ff", "\x85", "١")   # latin-1 representable: what a socket can carry in a header


def _nest_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _set_json(body: bytes, rng: random.Random, value_for: Callable[[Any], Any]) -> bytes:
    """Replace one value somewhere in a JSON body."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return body
    nodes = []

    def walk(node):
        if isinstance(node, dict):
            for k in node:
                nodes.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                nodes.append((node, i))
                walk(node[i])
    walk(data)
    if not nodes:
        return json.dumps(value_for(data)).encode()
    parent, key = rng.choice(nodes)
    parent[key] = value_for(parent[key])
    return json.dumps(data).encode()


WRONG_VALUES = (1, -1, 0, 1.5, True, None, [], [1], {}, {"a": [1]}, "", "x" * 300, "²", 10 ** 30, "1e400",
                "NaN", "2026-13-45", "9999-12-31T99:99:99Z")


# ---- mutations: (rng, req, target) -> req ---------------------------------------------------------------
def m_unknown_path(rng, req, t):
    choice = rng.choice(["/zzz", "/" + rng.choice(NON_ASCII), "//", "/..%2f", "/%ff", "/" + "a" * 500, "/0"])
    path = req.path + choice if rng.random() < 0.7 else "/" + choice.strip("/") + "/unknown"
    return req.replace(path=path, note="unknown path")


def m_wrong_method(rng, req, t):
    return req.replace(method=rng.choice([m for m in METHODS if m != req.method]), note="wrong method")


def m_media_type(rng, req, t):
    ctype = rng.choice(["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json",
                        "application/x-www-form-urlencoded", "application/json; charset=latin-1", "", "*/*"])
    return req.replace(headers={**req.headers, "Content-Type": ctype}, note=f"content-type {ctype!r}",
                       method=req.method if req.method != "GET" else "POST")


def m_truncate(rng, req, t):
    body = req.body or b'{"a": [1, 2'
    return req.replace(body=body[: rng.randrange(0, max(1, len(body)))], note="truncated body")


def m_garbage(rng, req, t):
    junk = rng.choice([b"\xff\xfe\x00", b"{", b"[", b"null", b"\"str\"", b"1e999999", b"{\"a\":}", b"%zz=1&&=",
                       bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), b"{\"a\": \"\\ud800\"}",
                       b"{\"a\": \"\\x\"}", b"a=1&a[b]=2", b"\xef\xbb\xbf{}"])
    return req.replace(body=junk, note=f"garbage body {junk[:16]!r}")


def m_bad_utf8(rng, req, t):
    body = req.body or b"x"
    at = rng.randrange(0, len(body) + 1)
    where = rng.choice(["body", "query", "path"])
    if where == "body":
        return req.replace(body=body[:at] + b"\xff" + body[at:], note="invalid UTF-8 in body")
    if where == "query":
        return req.replace(query=(req.query + "&" if req.query else "") + "x=%ff%fe", note="invalid UTF-8 in query")
    return req.replace(path=req.path + "%ff", note="invalid UTF-8 in path")


def m_deep(rng, req, t):
    depth = rng.choice([33, 100, 1000, 5000])
    if t.json_bodies:
        body = _nest_json(depth) if rng.random() < 0.5 else b"[" * depth + b"]" * depth
        return req.replace(body=body, note=f"JSON nested {depth} deep",
                           headers={**req.headers, "Content-Type": "application/json"},
                           method=req.method if req.method != "GET" else "POST")
    key = "metadata" + "[a]" * depth
    return req.replace(body=(req.body + b"&" if req.body else b"") + key.encode() + b"=1",
                       note=f"form key nested {depth} deep")


def m_huge_number(rng, req, t):
    value = rng.choice([10 ** 400, -10 ** 30, 1e308, "9" * 5000, -1, 2 ** 63, 0.1 + 0.2])
    if t.json_bodies:
        raw = json.dumps(value) if not isinstance(value, str) else value
        body = _set_json(req.body, rng, lambda old: "§")
        return req.replace(body=body.replace(b'"\\u00a7"', raw.encode()), note=f"huge number {raw[:20]}")
    name = rng.choice(["amount", "limit", "days_until_due", "frozen_time", "quantity"])
    return req.replace(body=(req.body + b"&" if req.body else b"") + f"{name}={value}".encode(),
                       note=f"huge number {name}")


def m_wrong_type(rng, req, t):
    value = rng.choice(WRONG_VALUES)
    if t.json_bodies:
        return req.replace(body=_set_json(req.body, rng, lambda old: value), note=f"wrong type {value!r:.30}")
    key = rng.choice(["customer", "amount", "metadata", "expand", "lines", "currency", "limit"])
    shape = rng.choice([f"{key}[]=1", f"{key}[0][x]=1", f"{key}[a]=1", f"{key}=", f"{key}[{rng.choice(NON_ASCII)}]=1"])
    return req.replace(body=(req.body + b"&" if req.body else b"") + quote(shape, safe="=[]&").encode(),
                       note=f"wrong type {shape}")


def m_credentials(rng, req, t):
    na = rng.choice(NON_ASCII)
    value = rng.choice([
        "Basic " + base64.b64encode(f"{na}:x".encode()).decode(), "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
        "Basic !!!", "Basic", "Basic " + base64.b64encode(b"nocolon").decode(), f"Bearer {na}", "Bearer ",
        "Bearer", f"Bearer sk_test_{na}", f"OAuth realm=\"O2C_SB1\",oauth_signature=\"{na}\"",
        f'OAuth realm="O2C_SB1",oauth_consumer_key="o2c-consumer-key",oauth_token="o2c-token-id",'
        f'oauth_signature_method="HMAC-SHA256",oauth_timestamp="1",oauth_nonce="n",oauth_signature="{na}"',
        "OAuth realm=\"unterminated", "OAuth ,,,", f"{na} token", "", "Digest x", "Bearer " + "a" * 5000])
    headers = {**req.headers, "Authorization": value}
    if rng.random() < 0.3:
        headers["X-SFDC-Session"] = na
    return req.replace(headers=headers, note=f"credentials {value[:40]!r}")


def m_query(rng, req, t):
    extra = rng.choice(["limit=abc", "limit=0", "limit=-1", "limit=99999999999999999999", "offset=-5",
                        "offset=abc", "starting_after=%C3%A9", "expand[]=" + "a." * 50, "$top=abc", "$skip=-1",
                        "q=", "limit=", "limit=1e3", "limit=%00", "ending_before=%ff", "$filter=%27",
                        "$include=%ff", "fields=a,,b", "limit[]=1", "created[gte]=abc", "limit=%C2%B2"])
    return req.replace(query=(req.query + "&" if req.query else "") + extra, note=f"query {extra}")


SOQL_BAD = ("SELECT Id FROM Order WHERE CreatedDate > 9999-12-31T99:99:99Z",
            "SELECT Id FROM Account WHERE Name = 'caf\\u00e9'", "SELECT Id FROM Account WHERE Name = 'x\\q'",
            "SELECT Id FROM Account WHERE Name = 'unterminated", "SELECT Id FROM Order WHERE CreatedDate > 2026-02-30",
            "SELECT Id FROM Account LIMIT 99999999999999999999", "SELECT Id FROM Account WHERE Amount > 1e400",
            "SELECT Id FROM Account WHERE Name = '\\'", "SELECT Id FROM Account WHERE Id IN ()",
            "SELECT COUNT() FROM Account GROUP BY", "SELECT Id FROM Order WHERE EffectiveDate = 2026-01-01T",
            "SELECT Id FROM Account WHERE Name LIKE '%\\%'", "SELECT Id, (SELECT Id FROM Orders) FROM Account OFFSET -1")
SUITEQL_BAD = ("SELECT id FROM transaction WHERE trandate >= TO_DATE('2026-13-45', 'YYYY-MM-DD')",
               "SELECT id FROM transaction WHERE tranid = 'caf\\u00e9'", "SELECT id FROM customer WHERE id = 1e400",
               "SELECT id FROM customer WHERE companyname = 'unterminated", "SELECT id FROM customer WHERE id = ''''",
               "SELECT id FROM transaction WHERE trandate > TO_DATE('x', 'DD/MM/YYYY')", "SELECT FROM",
               "SELECT id FROM customer FETCH FIRST 0 ROWS ONLY", "SELECT BUILTIN.DF(id) FROM customer",
               "SELECT id FROM transaction WHERE trandate = '9999-12-31T99:99:99Z'")


def m_query_language(rng, req, t):
    if t.name == "salesforce":
        q = rng.choice(SOQL_BAD)
        return req.replace(method="GET", path="/services/data/v59.0/query", query="q=" + quote(q), body=b"",
                           note=f"SOQL {q}")
    if t.name == "erp":
        q = rng.choice(SUITEQL_BAD)
        return req.replace(method="POST", path="/services/rest/query/v1/suiteql", query="limit=5",
                           headers={**req.headers, "Content-Type": "application/json", "Prefer": "transient"},
                           body=json.dumps({"q": q}).encode(), note=f"SuiteQL {q}")
    return m_wrong_type(rng, req, t)


MUTATIONS = (m_unknown_path, m_wrong_method, m_media_type, m_truncate, m_garbage, m_bad_utf8, m_deep,
             m_huge_number, m_wrong_type, m_credentials, m_query, m_query_language)


# ---- running ------------------------------------------------------------------------------------
@dataclass
class Finding:
    req: Req
    status: int
    ctype: str
    body: bytes

    def __str__(self) -> str:
        return (f"{self.req.method} {self.req.path}?{self.req.query} [{self.req.note}] -> {self.status} "
                f"{self.ctype} {self.body[:160]!r}")


@dataclass
class Report:
    fake: str
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[Finding] = field(default_factory=list)   # 5xx the vendor would not give
    unshaped: list[Finding] = field(default_factory=list)        # errors not in the vendor's shape

    def line(self) -> str:
        return (f"{self.fake:<11} {self.requests:>6} requests  {len(self.server_errors):>4} x 5xx  "
                f"{len(self.unshaped):>4} not vendor-shaped")


def salesforce_session(client: Client) -> str:
    resp = client.post("/services/oauth2/token", base_url="https://login.salesforce.com", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"})
    return resp.get_json()["access_token"]


def build(name: str):
    """A fresh fake app and its target; the in-process apps answer like the live ones (same WSGI app)."""
    app = registry.create(name, seed=0)
    target = TARGETS[name]()
    client = Client(app)
    if name == "salesforce":
        target.auth = {"Authorization": "Bearer " + salesforce_session(client)}
    return app, client, target


def requests_for(target: Target, app, count: int, seed: int):
    rng = random.Random(f"o2c-fuzz:{target.name}:{seed}")
    templates = target.templates(app)
    for _ in range(count):
        req = rng.choice(templates)
        req = req.replace(headers={**target.auth, **req.headers})
        for mutate in rng.sample(MUTATIONS, rng.choice((1, 1, 2))):
            req = mutate(rng, req, target)
        yield req


def send(client: Client, target: Target, req: Req):
    headers = {k: v for k, v in req.headers.items() if v != "" or k != "Authorization"}
    resp = client.open(req.path, base_url=target.base_url, method=req.method, query_string=req.query or None,
                       headers=headers, data=req.body, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return resp.status_code, resp.headers.get("Content-Type", ""), resp.get_data()
    finally:
        resp.close()


def _shaped(target: Target, req: Req, status: int, ctype: str, body: bytes) -> bool:
    if req.method == "HEAD":   # no body on a HEAD answer (RFC 9110 9.3.2): the media type must still be the vendor's
        return not body and ("json" in ctype or "xml" in ctype)
    return target.shaped(req, status, ctype, body)


def run(name: str, count: int, seed: int = 0) -> Report:
    app, client, target = build(name)
    report = Report(name)
    if hasattr(app, "logger"):   # a Flask app behind the lane (tracebacks go to the report, not the terminal)
        app.logger.disabled = True
    logging.getLogger("werkzeug").disabled = True
    for req in requests_for(target, app, count, seed):
        status, ctype, body = send(client, target, req)
        report.requests += 1
        report.statuses[status] += 1
        if status >= 500 and not target.allowed_5xx(req, status):
            report.server_errors.append(Finding(req, status, ctype, body))
        elif status >= 400 and not _shaped(target, req, status, ctype, body):
            report.unshaped.append(Finding(req, status, ctype, body))
    return report
