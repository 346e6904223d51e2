"""Every query of the corpus (the SELECT forms of the SOQL and SOSL Reference, on this org's
objects) runs through simple-salesforce without an error, and answers Salesforce's shapes."""
from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = [line.strip() for line in (Path(__file__).parent / "data" / "soql_corpus.txt").read_text().splitlines()
          if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("soql", CORPUS)
def test_corpus_query_runs(sf, soql):
    res = sf.query(soql)
    assert res["done"] is True and res["totalSize"] >= len(res["records"])
    aggregate = any(f in soql.upper() for f in ("COUNT(ID)", "COUNT_DISTINCT", "SUM(", "MAX(", "GROUP BY"))
    for rec in res["records"]:
        if aggregate:
            assert rec["attributes"] == {"type": "AggregateResult"}
        else:
            assert rec["attributes"]["url"].endswith(rec["attributes"]["type"] + "/" + rec["Id"]) \
                if "Id" in rec else rec["attributes"]["type"]
