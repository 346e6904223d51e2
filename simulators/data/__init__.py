"""The data the fakes start from: the product catalogue, the seeded customers, the dunning policy,
Stripe's test cards and the AvaTax jurisdiction and tax-code tables.

The defaults ship inside the package and are read with ``importlib.resources``, so a wheel
installed anywhere works. Each file can be replaced with a user's own copy, looked up in this
order:

1. an explicit path passed by the caller (e.g. ``create_app(fixtures=...)`` on the AvaTax fake);
2. the file's own environment variable (``O2C_DUNNING_POLICY=/path/policy.yaml``; see ``FILES``);
3. a directory named by ``O2C_FIXTURES`` that holds a file of the same relative name
   (``$O2C_FIXTURES/tax/jurisdictions.json``); files it does not hold fall back to the default;
4. the packaged default.

``python -m simulators.data export DIR`` writes the defaults to DIR to start from.
"""
from __future__ import annotations

import copy
import functools
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# name -> (relative file name, environment variable naming a replacement file)
FILES: dict[str, tuple[str, str]] = {
    "catalog": ("catalog.json", "O2C_CATALOG"),
    "customers": ("customers.json", "O2C_CUSTOMERS"),
    "dunning_policy": ("dunning_policy.yaml", "O2C_DUNNING_POLICY"),
    "stripe_test_cards": ("stripe_test_cards.json", "O2C_STRIPE_TEST_CARDS"),
    "tax_jurisdictions": ("tax/jurisdictions.json", "O2C_TAX_JURISDICTIONS"),
    "tax_codes": ("tax/taxcodes.json", "O2C_TAX_CODES"),
}
DIR_ENV = "O2C_FIXTURES"


class DataFileError(FileNotFoundError):
    """A configured replacement file does not exist (named, with the setting that named it)."""


def _packaged(relative: str):
    node = resources.files(__name__)
    for part in relative.split("/"):
        node = node.joinpath(part)
    return node


def source(name: str, override: str | os.PathLike | None = None) -> str:
    """Where ``name`` is read from: a path, or ``package:<relative name>`` for the default."""
    relative, env = FILES[name]
    if override:
        path = Path(override)
        if path.is_dir():
            path = path / relative
        if not path.is_file():
            raise DataFileError(f"{name}: {path} does not exist (passed explicitly)")
        return str(path)
    if os.environ.get(env):
        path = Path(os.environ[env])
        if not path.is_file():
            raise DataFileError(f"{name}: {path} does not exist (set by {env})")
        return str(path)
    if os.environ.get(DIR_ENV):
        path = Path(os.environ[DIR_ENV]) / relative
        if path.is_file():
            return str(path)
    return f"package:{relative}"


def read_text(name: str, override: str | os.PathLike | None = None) -> str:
    where = source(name, override)
    if where.startswith("package:"):
        return _packaged(where.removeprefix("package:")).read_text(encoding="utf-8")
    return Path(where).read_text(encoding="utf-8")


def load(name: str, override: str | os.PathLike | None = None) -> Any:
    """The parsed file: JSON or YAML by its extension."""
    text = read_text(name, override)
    if FILES[name][0].endswith(".yaml"):
        # each fake reads its YAML again on every construction and reset: parsed once per text, a copy
        # handed out (the caller may change it)
        return copy.deepcopy(_parse_yaml(text))
    return json.loads(text)


@functools.lru_cache(maxsize=8)
def _parse_yaml(text: str) -> Any:
    return yaml.safe_load(text)


def export(dest: str | os.PathLike) -> list[Path]:
    """Copy every packaged default under ``dest`` (existing files are left alone)."""
    written = []
    for relative, _ in FILES.values():
        target = Path(dest) / relative
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_packaged(relative).read_text(encoding="utf-8"), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "export":
        print("usage: python -m simulators.data export DIR", file=sys.stderr)
        return 2
    for path in export(args[1]):
        print(path)
    return 0
