"""The quick path of request validation (fastjsonschema) never accepts what the full validator
(jsonschema) refuses, for every fake's request schemas and a spread of mutated requests."""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from simulators.core.validation import _COMPILED, _FAST, _fast, _once

SCHEMAS = sorted(Path(__file__).resolve().parents[2].glob("simulators/*/schemas/*.json"))
ODD = [None, True, 0, -1, 1.5, "", "x" * 6000, "not-a-date", [], {}, [1, "a"], {"a": {"b": []}}]


def mutations(schema: dict, rnd: random.Random):
    """Requests near the schema's shape: every property set to odd values, one extra property,
    each required property left out."""
    props = schema.get("properties") or {}
    required = schema.get("required") or []
    base = {name: "x" for name in required}
    yield base
    for name in props:
        for value in rnd.sample(ODD, 4):
            yield {**base, name: value}
    yield {**base, "zz_unknown_property": 1}
    for name in required:
        shape = copy.deepcopy(base)
        shape.pop(name)
        yield shape


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_quick_check_never_accepts_what_the_validator_refuses(path):
    schema = json.loads(path.read_text())
    # the very checks the fakes use, from the per-process cache they use (compiled once per worker,
    # whichever of the fakes' tests or this one asks first)
    quick = _once(_FAST, path, _fast)
    if quick is None:
        pytest.skip("no quick path for this schema")
    full = _once(_COMPILED, path, Draft202012Validator)
    rnd = random.Random(path.stem)
    checked = 0
    for data in mutations(schema, rnd):
        if quick(data):
            assert not list(full.iter_errors(data)), (path.stem, data)
        checked += 1
    assert checked > 1
