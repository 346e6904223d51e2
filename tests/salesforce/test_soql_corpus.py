"""Every query of the corpus (the SELECT forms of the SOQL and SOSL Reference, on this org's
objects) runs through simple-salesforce without an error, and answers Salesforce's shapes."""
from __future__ import annotations

from pathlib import Path

import pytest
from simple_salesforce import Salesforce

from simulators.harness import InProcessHarness

from .conftest import CREDS

CORPUS = [line.strip() for line in (Path(__file__).parent / "data" / "soql_corpus.txt").read_text().splitlines()
          if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def corpus_sf():
    """One org and one login for the whole corpus: the queries only read, and each test asserts only
    the shape of its own answer."""
    with InProcessHarness(["salesforce"]):
        yield Salesforce(**CREDS)


@pytest.mark.parametrize("soql", CORPUS)
def test_corpus_query_runs(corpus_sf, soql):
    sf = corpus_sf
    res = sf.query(soql)
    assert res["done"] is True and res["totalSize"] >= len(res["records"])
    aggregate = any(f in soql.upper() for f in ("COUNT(ID)", "COUNT_DISTINCT", "SUM(", "MAX(", "GROUP BY"))
    for rec in res["records"]:
        if aggregate:
            assert rec["attributes"] == {"type": "AggregateResult"}
        else:
            assert rec["attributes"]["url"].endswith(rec["attributes"]["type"] + "/" + rec["Id"]) \
                if "Id" in rec else rec["attributes"]["type"]
