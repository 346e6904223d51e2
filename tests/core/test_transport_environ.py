"""The in-process transport builds the WSGI environ itself: for every kind of request an SDK sends
it must equal what werkzeug's EnvironBuilder (which the transport used before) gives, so the fakes'
apps cannot tell the difference."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.test import EnvironBuilder

from simulators.core.transport import wsgi_environ

STRIPE = "https://api.stripe.com"
CASES = {
    "get": dict(method="GET", url=f"{STRIPE}/v1/customers/cus_123"),
    "query non-ascii": dict(method="GET", url=f"{STRIPE}/v1/customers",
                            params={"email": "josé@example.test", "limit": 3, "expand[]": ["data.x", "y z"]}),
    "query escapes": dict(method="GET", url=f"{STRIPE}/v1/search?query=name%3A%27a+b%27&x=%E2%9C%93"),
    "path escapes": dict(method="GET",
                         url="https://o2c.my.salesforce.com/services/data/v59.0/sobjects/Account/Ext__c/a%2Fb%20c+d"),
    "path non-ascii": dict(method="GET", url=f"{STRIPE}/v1/customers/cüs_ø"),
    "path invalid utf-8": dict(method="GET", url=f"{STRIPE}/v1/customers/%FF%FE"),
    "path brackets": dict(method="GET", url=f"{STRIPE}/v1/a[b]|c"),
    "bytes header": dict(method="POST", url="https://o2c-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/x",
                         headers={"Authorization": b'OAuth realm="O2C_SB1", oauth_nonce="\xe9"'}, json={"a": 1}),
    "duplicate header names": dict(method="GET", url=f"{STRIPE}/v1/x", headers={"X-Trace": "1", "X_Trace": "2"}),
    "empty post": dict(method="POST", url=f"{STRIPE}/v1/customers"),
    "empty form post": dict(method="POST", url=f"{STRIPE}/v1/customers", data="",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}),
    "form": dict(method="POST", url=f"{STRIPE}/v1/customers", data={"email": "é@x.test", "metadata[k]": "v w"}),
    "json": dict(method="PATCH", url="https://o2c.my.salesforce.com/services/data/v59.0/sobjects/Account/001",
                 json={"Name": "Acme ✓", "n": 1.5}),
    "str body non-ascii": dict(method="PUT", url=f"{STRIPE}/v1/x", data="naïve",
                               headers={"Content-Type": "text/plain; charset=utf-8"}),
    "multipart": dict(method="POST", url="https://files.stripe.com/v1/files", data={"purpose": "dispute_evidence"},
                      files={"file": ("a.txt", b"hello", "text/plain")}),
    "bytes body": dict(method="POST", url="https://sandbox-rest.avatax.com/api/v2/transactions/create",
                       data=b"\x00\xff{}", headers={"Content-Type": "application/json"}),
    "file body": dict(method="POST", url="https://sandbox-rest.avatax.com/api/v2/x", data=io.BytesIO(b"abc"),
                      headers={"Content-Type": "application/octet-stream"}),
    "head": dict(method="HEAD", url=f"{STRIPE}/v1/customers"),
    "delete": dict(method="DELETE", url=f"{STRIPE}/v1/customers/cus_1"),
    "options": dict(method="OPTIONS", url=f"{STRIPE}/v1/customers"),
    "https port": dict(method="GET", url="https://sandbox-rest.avatax.com:8443/api/v2/utilities/ping"),
    "http": dict(method="GET", url="http://integration.o2c.test/_integration/status"),
    "http port": dict(method="POST", url="http://integration.o2c.test:8080/webhooks/stripe?x=1", json={}),
    "no path": dict(method="GET", url="https://login.salesforce.com"),
}


def builder_environ(prepared: requests.PreparedRequest, body) -> dict:
    """What the transport gave the apps before, through werkzeug's EnvironBuilder."""
    split = urlsplit(prepared.url)
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k: (v.decode("latin-1") if isinstance(v, bytes) else v)
               for k, v in prepared.headers.items() if k.lower() != "content-length"}
    builder = EnvironBuilder(path=split.path or "/", base_url=f"{split.scheme}://{split.netloc}",
                             query_string=split.query, method=prepared.method, headers=headers, data=body or b"",
                             environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def comparable(environ: dict) -> tuple[dict, bytes]:
    rest = dict(environ)
    return rest, rest.pop("wsgi.input").read()


@pytest.mark.parametrize("case", list(CASES))
def test_the_environ_equals_werkzeugs(case):
    prepared = requests.Request(**CASES[case]).prepare()
    body = prepared.body
    if hasattr(body, "read"):   # a file: each side reads its own copy
        body = body.read()
        prepared.body = io.BytesIO(body)
    built = wsgi_environ(prepared.method, prepared.url, prepared.headers, prepared.body)
    assert comparable(built) == comparable(builder_environ(prepared, body))


def test_the_body_is_readable_and_its_length_is_the_bodys_not_the_clients_header():
    prepared = requests.Request("POST", f"{STRIPE}/v1/customers", data=b"a=1").prepare()
    prepared.headers["Content-Length"] = "99"   # a wrong header never reaches the app
    environ = wsgi_environ(prepared.method, prepared.url, prepared.headers, prepared.body)
    assert environ["CONTENT_LENGTH"] == "3" and environ["wsgi.input"].read() == b"a=1"
    assert "HTTP_CONTENT_LENGTH" not in environ


def test_a_chunked_body_is_joined():
    environ = wsgi_environ("POST", f"{STRIPE}/v1/x", {"Content-Type": "text/plain"}, iter([b"ab", "cd"]))
    assert environ["wsgi.input"].read() == b"abcd" and environ["CONTENT_LENGTH"] == "4"
