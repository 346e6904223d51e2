"""OAuth 1.0a verification signs what the client signed: query, form body and the oauth_* header
parameters; any change to one of them is refused."""
from __future__ import annotations

import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from simulators.core.clock import SimClock
from simulators.erp.auth import Authenticator
from simulators.erp.errors import InvalidLogin

URL = "https://o2c-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer"


def _client() -> Client:
    return Client("o2c-consumer-key", client_secret="o2c-consumer-secret", resource_owner_key="o2c-token-id",
                  resource_owner_secret="o2c-token-secret", signature_method=SIGNATURE_HMAC_SHA256, realm="O2C_SB1")


def _reason(exc: InvalidLogin) -> str:
    return exc.headers["WWW-Authenticate"].split('error="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("query, form", [("", None), ("limit=5&q=name%20IS%20%22A%26B%22", None),
                                         ("offset=10", "a=1&b=%2Fx+y&oauth_extra=z%20w")])
def test_a_signed_request_passes_and_any_change_is_refused(query, form):
    auth = Authenticator(SimClock())
    ctype = "application/x-www-form-urlencoded" if form is not None else ""

    def signed() -> str:
        _, headers, _ = _client().sign(URL + ("?" + query if query else ""), "POST", body=form,
                                       headers={"Content-Type": ctype} if form is not None else None)
        return headers["Authorization"]

    body = (form or "").encode()
    assert auth(signed(), "POST", URL, query, ctype, body) == "tba:o2c-token-id"
    changed = [("PUT", query, body), ("POST", (query + "&x=1").lstrip("&"), body)]
    if form is not None:                       # a form body is signed (a JSON body is not, as in NetSuite)
        changed.append(("POST", query, body + b"&c=3"))
    for method, q, b in changed:
        with pytest.raises(InvalidLogin) as err:
            auth(signed(), method, URL, q, ctype, b)
        assert _reason(err.value) == "signature_invalid"
