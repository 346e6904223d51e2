"""The package carries what it needs: its data read through importlib.resources (overridable), and
exactly the third-party dependencies it imports."""
import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from simulators import data
from simulators.avalara.engine import TaxTables
from simulators.salesforce.state.dunning import load_policy

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "simulators"
# imported only where its own tool loads it: pytest loads the plugin module, and only then
LOADED_BY_TOOL = {"pytest"}   # (pytest-bdd, declared, brings it in)


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "simulators"}


def _declared() -> set[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in deps}


def test_every_import_is_declared_and_every_dependency_is_used():
    dists = packages_distributions()
    imported = _third_party_imports() - LOADED_BY_TOOL
    needed = {dists[m][0].lower().replace("_", "-") for m in imported}
    declared = _declared()
    assert needed - declared == set(), "imported but not declared"
    assert declared - needed == set(), "declared but never imported"


def test_packaged_defaults_load_without_the_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)   # nothing found through the working directory
    for name in data.FILES:
        monkeypatch.delenv(data.FILES[name][1], raising=False)
    monkeypatch.delenv(data.DIR_ENV, raising=False)
    assert all(data.source(n).startswith("package:") for n in data.FILES)
    assert load_policy()["stages"]
    assert TaxTables().places.places and TaxTables().places.states


def test_a_users_file_replaces_one_default(monkeypatch, tmp_path):
    written = data.export(tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {f for f, _ in data.FILES.values()}
    policy = tmp_path / "dunning_policy.yaml"
    policy.write_text(policy.read_text().replace("days_overdue: 15", "days_overdue: 16"))
    monkeypatch.setenv("O2C_DUNNING_POLICY", str(policy))
    assert any(s.get("days_overdue") == 16 for s in load_policy()["stages"])
    monkeypatch.setenv("O2C_DUNNING_POLICY", str(tmp_path / "missing.yaml"))
    with pytest.raises(data.DataFileError, match="O2C_DUNNING_POLICY"):
        load_policy()


def test_a_fixtures_directory_overrides_what_it_holds(monkeypatch, tmp_path):
    (tmp_path / "tax").mkdir()
    table = data.load("tax_jurisdictions")
    table["places"] = table["places"][:1]
    import json
    (tmp_path / "tax" / "jurisdictions.json").write_text(json.dumps(table))
    monkeypatch.setenv(data.DIR_ENV, str(tmp_path))
    assert len(TaxTables().places.places) == 1
    assert data.source("tax_codes").startswith("package:")   # not in the directory: the default
