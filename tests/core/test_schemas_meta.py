"""Every request schema the fakes ship is a valid JSON Schema (2020-12), checked once here rather than
at every start of a fake (the runtime compiles a schema on its first use and trusts it)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from simulators.core.validation import SchemaValidator

SCHEMAS = sorted(Path(__file__).resolve().parents[2].glob("simulators/*/schemas/*.json"))


def test_every_fake_ships_schemas():
    assert {p.parent.parent.name for p in SCHEMAS} >= {"salesforce", "erp", "avalara", "stripe"}
    assert len(SCHEMAS) > 100


def test_every_shipped_schema_passes_the_meta_schema():
    bad = []
    for path in SCHEMAS:
        try:
            Draft202012Validator.check_schema(json.loads(path.read_text()))
        except SchemaError as e:
            bad.append(f"{path.parent.parent.name}/{path.name}: {e.message}")
    assert not bad, bad


def test_the_meta_schema_check_catches_a_broken_schema():
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema({"type": "objekt"})


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
