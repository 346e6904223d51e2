"""An independent NetSuite REST client from PyPI (``netsuite``, httpx + authlib's OAuth 1.0a TBA)
against the live fake ERP, used unchanged except for its base URL (a real account's host is
``<account>.suitetalk.api.netsuite.com``; the fake listens on loopback)."""
from __future__ import annotations

import asyncio

import pytest

netsuite = pytest.importorskip("netsuite")
from netsuite import Config, TokenAuth  # noqa: E402
from netsuite.exceptions import NetsuiteAPIRequestError  # noqa: E402
from netsuite.rest_api import NetSuiteRestApi  # noqa: E402

CONFIG = Config(account="O2C_SB1", auth=TokenAuth(consumer_key="o2c-consumer-key",
                                                   consumer_secret="o2c-consumer-secret",
                                                   token_id="o2c-token-id", token_secret="o2c-token-secret"))


class FakeErpRestApi(NetSuiteRestApi):
    """The package's client with only the base URL changed."""

    def __init__(self, base: str, config: Config):
        super().__init__(config)
        self.base = base

    def _make_url(self, subpath: str) -> str:
        return f"{self.base}/services/rest{subpath}"


def test_the_netsuite_package_creates_reads_queries_and_deletes(live):
    api = FakeErpRestApi(live.url("erp"), CONFIG)

    async def scenario():
        # the package sends X-NetSuite-PropertyNameValidation: error on every call
        await api.post("/record/v1/customer", json={"companyName": "PyPI Client Co", "externalId": "PYPI-1",
                                                    "email": "ap@pypi.test"})
        got = await api.get("/record/v1/customer/eid:PYPI-1")
        assert got["companyName"] == "PyPI Client Co"
        await api.patch(f"/record/v1/customer/{got['id']}", json={"email": "billing@pypi.test"})
        rows = await api.suiteql("SELECT id, companyname, email FROM customer WHERE externalid = 'PYPI-1'")
        assert rows["count"] == 1 and rows["items"][0]["email"] == "billing@pypi.test"
        with pytest.raises(NetsuiteAPIRequestError) as bad:   # an unknown field is refused under "error"
            await api.post("/record/v1/customer", json={"companyName": "X", "noSuchField": 1})
        assert bad.value.status_code == 400
        schema = await api.jsonschema("customer")
        assert "companyName" in schema["properties"]
        spec = await api.openapi(["customer"])
        assert spec["openapi"].startswith("3.")
        await api.delete(f"/record/v1/customer/{got['id']}")
        with pytest.raises(NetsuiteAPIRequestError) as gone:
            await api.get(f"/record/v1/customer/{got['id']}")
        assert gone.value.status_code == 404

    asyncio.run(scenario())
