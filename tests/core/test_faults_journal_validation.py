import json

import pytest

from simulators.core.errors import ControlError
from simulators.core.faults import FaultEngine
from simulators.core.journal import Journal
from simulators.core.validation import SchemaValidator, Violation


def test_first_matching_rule_wins_and_counted_rules_retire():
    f = FaultEngine()
    f.add({"operation": "transactions.*", "error": {"code": "RequestLimitExceeded"}, "times": 2})
    f.add({"operation": "*", "error": {"code": "ServiceUnavailable"}})
    first = f.decide("transactions.create")
    assert first.error == {"code": "RequestLimitExceeded"}
    assert f.decide("transactions.create").error["code"] == "RequestLimitExceeded"
    # used up: the next matching rule now answers
    assert f.decide("transactions.create").error["code"] == "ServiceUnavailable"
    assert len(f.rules()) == 1


def test_rules_match_tenant_and_attributes():
    f = FaultEngine()
    f.add({"operation": "webhook.deliver", "tenant": None, "match": {"event_type": "invoice.*"}, "drop": True})
    assert f.decide("webhook.deliver", attrs={"event_type": "invoice.paid"}).drop
    assert f.decide("webhook.deliver", attrs={"event_type": "charge.succeeded"}) is None
    f.clear()
    f.add({"operation": "x", "tenant": "acme", "latency": {"kind": "fixed", "ms": 250}})
    assert f.decide("x", tenant="other") is None
    assert f.decide("x", tenant="acme").latency_ms == 250


def test_probabilistic_rules_are_repeatable_under_a_seed():
    def run(seed):
        f = FaultEngine(seed)
        f.add({"operation": "*", "error": {"code": "E"}, "probability": 0.3})
        return [f.decide("op") is not None for _ in range(200)]

    a, b = run(7), run(7)
    assert a == b
    assert 30 < sum(a) < 90  # about 30% of 200


def test_latency_distributions():
    f = FaultEngine(1)
    f.add({"operation": "u", "latency": {"kind": "uniform", "min_ms": 10, "max_ms": 20}})
    f.add({"operation": "l", "latency": {"kind": "lognormal", "median_ms": 100, "sigma": 0.5}})
    uniform = [f.decide("u").latency_ms for _ in range(100)]
    assert all(10 <= x <= 20 for x in uniform)
    logn = sorted(f.decide("l").latency_ms for _ in range(401))
    assert 70 < logn[200] < 140  # the median is near 100 ms


@pytest.mark.parametrize("raw", [{"operation": "x"}, {"operation": "x", "drop": True, "times": 0},
                                 {"operation": "x", "latency": {"kind": "gamma"}},
                                 {"operation": "x", "error": {"code": "E"}, "bogus": 1},
                                 {"operation": "api.call", "duplicate": True}])
def test_invalid_rules_are_refused(raw):
    with pytest.raises(ControlError):
        FaultEngine().add(raw)


def test_journal_is_bounded():
    j = Journal(maxlen=50)
    for i in range(1000):
        j.record({"operation": "op", "i": i})
    assert len(j) == 50
    assert j.total == 1000
    assert [e["i"] for e in j.entries()][:1] == [950]


def _validator(tmp_path, mode):
    (tmp_path / "thing.create.json").write_text(json.dumps(
        {"type": "object", "required": ["name"], "properties": {"qty": {"type": "integer"}}}))
    return SchemaValidator(tmp_path, mode=mode)


def test_strict_validation_rejects_and_records_per_caller(tmp_path):
    v = _validator(tmp_path, "strict")
    with pytest.raises(Violation) as err:
        v.check("thing.create", {"qty": "3"}, caller="acme-ci", at="t")
    assert {e["keyword"] for e in err.value.errors} == {"required", "type"}
    v.check("thing.create", {"name": "ok", "qty": 3}, caller="acme-ci", at="t")
    assert list(v.violations()) == ["acme-ci"]
    assert len(v.violations()["acme-ci"]) == 1


def test_lenient_validation_records_without_rejecting(tmp_path):
    v = _validator(tmp_path, "lenient")
    v.check("thing.create", {}, caller="a", at="t")
    v.check("thing.create", {}, caller="b", at="t")
    v.check("other.op", {}, caller="b", at="t")  # no schema: nothing to check
    assert {c: len(x) for c, x in v.violations().items()} == {"a": 1, "b": 1}
