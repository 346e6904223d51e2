"""The packaged data files: a YAML file is parsed once per text, and every caller gets its own copy."""
from __future__ import annotations

from simulators import data


def test_each_load_of_a_yaml_file_is_a_copy_the_caller_may_change():
    first = data.load("dunning_policy")
    first["stages"][0]["days_overdue"] = -99
    first["stages"].clear()
    second = data.load("dunning_policy")
    assert second["stages"] and second["stages"][0]["days_overdue"] != -99
    assert second is not first


def test_a_changed_override_file_is_read_again(tmp_path, monkeypatch):
    policy = tmp_path / "policy.yaml"
    policy.write_text("stages:\n  - {key: first, days_overdue: 1}\n")
    monkeypatch.setenv("O2C_DUNNING_POLICY", str(policy))
    assert [s["key"] for s in data.load("dunning_policy")["stages"]] == ["first"]
    policy.write_text("stages:\n  - {key: second, days_overdue: 3}\n")
    assert [s["key"] for s in data.load("dunning_policy")["stages"]] == ["second"]
