"""SOQL parsed once per shape (soql/shapes.py): queries that differ only in their string literals share
one parse, and the tree with the literals bound is the tree of parsing the whole text; errors are the
whole text's own."""
from __future__ import annotations

import dataclasses

import pytest

from simulators.salesforce.errors import MalformedQuery
from simulators.salesforce.soql import parser
from simulators.salesforce.soql.shapes import MARK, shape_of

QUERIES = [
    "SELECT Id FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'",
    "SELECT Id, Name FROM Account WHERE Name LIKE 'a\\_b%' AND BillingState IN ('CA', 'O\\'Hare', 'N\\\\Y')",
    "SELECT Id, (SELECT Id FROM Contacts WHERE LastName = 'Smith') FROM Account WHERE Name != 'x' ORDER BY Name",
    "SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account WHERE Name = 'Acme') AND Email = 'a@b.c'",
    "SELECT Id FROM Account WHERE Name = '\\u0041\\n' OR Name = '' LIMIT 5",
    "SELECT COUNT(Id), BillingState FROM Account WHERE Type = 'Customer' GROUP BY BillingState HAVING COUNT(Id) > 1",
]


def typed(node):
    """A tree as comparable data, naming each string's type (a literal is a _RawString)."""
    if isinstance(node, (list, tuple)):
        return [typed(x) for x in node]
    if isinstance(node, dict):
        return {k: typed(v) for k, v in node.items()}
    if isinstance(node, str):
        return (type(node).__name__ == "_RawString", str(node))
    if dataclasses.is_dataclass(node):
        return (type(node).__name__, {f.name: typed(getattr(node, f.name)) for f in dataclasses.fields(node)})
    return (type(node).__name__, node)


def whole_text(text: str):
    """The tree (or the error message) of parsing the text as it is, without its shape."""
    try:
        return typed(parser._parse_cached(text))
    except MalformedQuery as exc:
        return exc.message


def via_shape(text: str):
    try:
        return typed(parser.parse(text))
    except MalformedQuery as exc:
        return exc.message


@pytest.mark.parametrize("text", QUERIES)
def test_the_bound_tree_is_the_whole_texts_tree(text):
    assert shape_of(text) is not None
    assert via_shape(text) == whole_text(text)


def test_queries_of_one_shape_share_one_parse():
    parser._parse_text.cache_clear()
    parser._parse_cached.cache_clear()
    trees = [parser.parse(f"SELECT Id, Name FROM Account WHERE Customer_Key__c = 'KEY-{i}'") for i in range(20)]
    assert parser._parse_cached.cache_info().misses == 1   # one grammar parse for the 20 texts
    assert [t.where.value for t in trees] == [f"KEY-{i}" for i in range(20)]
    assert trees[0].fields is trees[1].fields   # what holds no literal is shared


@pytest.mark.parametrize("text", [
    "SELECT Id FROM Account WHERE Name = 'a\\qb'",                             # a bad escape
    "SELECT Id FROM Account WHERE Name = 'ok' AND Name = 'bad\\z'",            # the second literal's
    "SELECT Id FROM Account WHERE Name = 'a long literal' ORDER BY",            # caret after a literal
    "SELECT Id FROM Account WHERE Name = 'unterminated",
    "SELECT Id FROM Account WHERE Name = 'x' AND CreatedDate = 2020-13-01",     # a bad date after a literal
    "SELECT Id FROM Account WHERE Name = 'x' 'y'",
])
def test_errors_are_the_whole_texts_own(text):
    message = via_shape(text)
    assert isinstance(message, str) and message == whole_text(text)


def test_a_text_holding_the_mark_is_parsed_as_it_is():
    text = f"SELECT Id FROM Account WHERE Name = 'a{MARK}0'"
    assert shape_of(text) is None
    assert parser.parse(text).where.value == f"a{MARK}0"
