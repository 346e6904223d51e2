"""The Gherkin step library as users load it, and its catalogue."""
from pathlib import Path

from simulators.bdd import catalog

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogue_in_the_docs_is_current():
    fresh = catalog.render(ROOT / "features")
    assert (ROOT / "docs" / "steps.md").read_text() == fresh, \
        "docs/steps.md is stale: regenerate it with `o2c steps --markdown > docs/steps.md`"


def test_every_step_of_the_project_features_is_in_the_catalogue_and_every_step_is_used():
    steps = catalog.steps()
    lines = catalog.feature_lines(ROOT / "features")
    unmatched = [(text, where) for text, where in lines
                 if not any(p.is_matching(text) for s in steps for p in s.parsers)]
    assert unmatched == []
    lines += catalog.feature_lines(ROOT / "tests" / "install" / "user_project" / "features")
    unused = [f"{s.capability}.{s.function}" for s in steps
              if not any(p.is_matching(text) for text, _ in lines for p in s.parsers)]
    assert unused == []
