"""Every request schema the fakes ship is a valid JSON Schema (2020-12), checked once here rather than
at every start of a fake (the runtime compiles a schema on its first use and trusts it).

The check goes subschema by subschema, each distinct one once: the 2020-12 meta-schema checks every
subschema (a property's, an ``items``, an ``allOf`` member...) against the whole meta-schema again
(``$dynamicRef: #meta``), so a schema is valid exactly when its own keywords are, with each subschema
stood in for by ``true``, and every subschema is. The generated Stripe schemas repeat large subschemas
(addresses, payment method options) hundreds of times: each is checked once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from simulators.core.validation import SchemaValidator

SCHEMAS = sorted(Path(__file__).resolve().parents[2].glob("simulators/*/schemas/*.json"))
# where the 2020-12 meta-schema (applicator, content and core vocabularies) takes a schema as it is
ONE = ("additionalProperties", "propertyNames", "items", "contains", "not", "if", "then", "else",
       "unevaluatedItems", "unevaluatedProperties", "contentSchema")
MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
ARRAY = ("allOf", "anyOf", "oneOf", "prefixItems")
META = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _is_schema(value) -> bool:
    return isinstance(value, (dict, bool))


def meta_errors(schema, checked: set[str]) -> list[str]:
    """What the meta-schema finds wrong in ``schema`` (the same verdict as ``check_schema``), skipping the
    subschemas in ``checked`` (canonical JSON of those already found valid) and adding the valid ones."""
    if not isinstance(schema, dict):
        return [e.message for e in META.iter_errors(schema)]
    key = json.dumps(schema, sort_keys=True)
    if key in checked:
        return []
    own, children = dict(schema), []
    for name in ONE:
        if _is_schema(own.get(name)):
            children.append(own[name])
            own[name] = True
    for name in MAP:
        if isinstance(own.get(name), dict):
            children += [v for v in own[name].values() if _is_schema(v)]
            own[name] = {k: True if _is_schema(v) else v for k, v in own[name].items()}
    for name in ARRAY:
        if isinstance(own.get(name), list):
            children += [v for v in own[name] if _is_schema(v)]
            own[name] = [True if _is_schema(v) else v for v in own[name]]
    errors = [e.message for e in META.iter_errors(own)]
    for child in children:
        errors += meta_errors(child, checked)
    if not errors:
        checked.add(key)
    return errors


def test_every_fake_ships_schemas():
    assert {p.parent.parent.name for p in SCHEMAS} >= {"salesforce", "erp", "avalara", "stripe"}
    assert len(SCHEMAS) > 100


def test_every_shipped_schema_passes_the_meta_schema():
    bad, checked = [], set()
    for path in SCHEMAS:
        errors = meta_errors(json.loads(path.read_text()), checked)
        if errors:
            bad.append(f"{path.parent.parent.name}/{path.name}: {errors[0]}")
    assert not bad, bad
    assert len(checked) > len(SCHEMAS)


def test_the_meta_schema_check_catches_a_broken_schema():
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema({"type": "objekt"})


OK = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^x"}}, "required": ["a"]}
BROKEN = [
    {"type": "objekt"},
    {"properties": {"a": {"type": "objekt"}}},                                   # deep in a map
    {"properties": {"a": {"properties": {"b": {"minLength": -1}}}}},             # deeper
    {"allOf": [OK, {"items": {"enum": "not-a-list"}}]},                          # in an array member
    {"anyOf": []},                                                               # an empty schema array
    {"items": [OK]},                                                             # items as an array (draft 4)
    {"properties": []},                                                          # a map that is not one
    {"additionalProperties": {"not": {"required": "a"}}},
    {"$defs": {"x": {"if": OK, "then": {"maxItems": "3"}}}},
    {"properties": {"p": {"pattern": "("}}},                                     # not a regex (format)
    {"patternProperties": {"^a": {"type": 3}}, "dependentSchemas": {"a": OK}},
]


@pytest.mark.parametrize("schema", BROKEN, ids=range(len(BROKEN)))
def test_the_subschema_by_subschema_check_finds_what_check_schema_finds(schema):
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema(schema)
    checked = set()
    assert meta_errors(OK, checked) == [] and meta_errors(schema, checked)   # a valid part checked before
    assert json.dumps(schema, sort_keys=True) not in checked


def test_schemas_compile_on_first_use_and_once_across_threads(tmp_path):
    import threading
    from simulators.core import validation

    (tmp_path / "thing.create.json").write_text(json.dumps(
        {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}))
    v = SchemaValidator(tmp_path, mode="lenient")
    key = (str(tmp_path / "thing.create.json"), (tmp_path / "thing.create.json").stat().st_mtime_ns)
    assert v.operations() == ["thing.create"]
    assert key not in validation._COMPILED and key not in validation._FAST   # nothing built at construction
    start = threading.Barrier(8)

    def first_request():
        start.wait()
        v.check("thing.create", {"name": 1}, "caller", "2026-01-01T00:00:00Z")

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert key in validation._COMPILED and key in validation._FAST
    assert len(v.violations()["caller"]) == 8   # every concurrent first request was validated and recorded
    assert v._ready["thing.create"] is validation._COMPILED[key]
