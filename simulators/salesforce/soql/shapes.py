"""SOQL parsed once per query shape: most queries differ only in their string literals (an id, an
external key, a list of keys), so the parser (``parser.py``) parses the text with each string literal
replaced by a numbered mark, once per shape, and binds the real literals into a copy of that tree.

The marks are string literals themselves, so the shape lexes and parses exactly as the query does
(the scan below uses the grammar's own ``STRING`` token, left to right as the lexer does); a text
that already holds the mark character is parsed as it is.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

STRING = re.compile(r"'(?:\\.|[^'\\])*'")   # grammar.lark's STRING
MARK = "\x00"


def shape_of(text: str) -> tuple[str, list[str]] | None:
    """(the text with its i-th string literal replaced by ``'<MARK>i'``, the literals as written), or
    None when the text has no string literal or already holds the mark."""
    if MARK in text or "'" not in text:
        return None
    literals: list[str] = []

    def mark(m: re.Match) -> str:
        literals.append(m.group(0))
        return f"'{MARK}{len(literals) - 1}'"

    shape = STRING.sub(mark, text)
    return (shape, literals) if literals else None


def bind(node: Any, values: list[str], is_mark: Callable[[Any], bool]) -> Any:
    """A copy of a shape's tree with each mark (``is_mark``) replaced by its value; what holds no mark
    is shared with the shape's tree (read only, like every parsed tree)."""
    kind = type(node)
    if kind is list or kind is tuple:
        items = [bind(item, values, is_mark) for item in node]
        return node if all(a is b for a, b in zip(items, node)) else kind(items)
    if kind is dict:
        out = {key: bind(value, values, is_mark) for key, value in node.items()}
        return node if all(out[k] is v for k, v in node.items()) else out
    if isinstance(node, str):
        return values[int(node[1:])] if is_mark(node) else node
    if dataclasses.is_dataclass(node) and not kind.__dataclass_params__.frozen:   # frozen ones hold no literal
        old = {f.name: getattr(node, f.name) for f in dataclasses.fields(node)}
        new = {name: bind(value, values, is_mark) for name, value in old.items()}
        return node if all(new[k] is v for k, v in old.items()) else kind(**new)
    return node
