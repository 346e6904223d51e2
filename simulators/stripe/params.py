"""Stripe's form encoding: ``metadata[key]=v``, ``expand[]=x``, ``lines[0][tax_amounts][0][amount]=5``.

``decode`` turns the flat pairs into nested dicts and lists (a dict whose keys are all integers
becomes a list, in index order); values stay strings, as on the wire. The coercion helpers raise
Stripe's own 400s naming the parameter the way Stripe does (``lines[0][amount]``).
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import InvalidRequest, ParameterMissing

_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def _split(key: str) -> list[str]:
    parts = []
    for m in _KEY.finditer(key):
        parts.append(m.group(1) if m.group(1) is not None else m.group(2))
    return parts or [key]


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isascii() and k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        if "" in node and len(node) == 1:  # a[]=x collected under ""
            return node[""]
    return node


MAX_DEPTH = 32   # keys nested deeper (``a[b][c]...``) are refused with a 400, never recursed into
# A request carries at most this many parameters: more is refused with a 400 before any is decoded,
# so a multi-megabyte body of ``a=b&a=b...`` costs a count, not seconds of parsing (an invoice's 250
# lines of about ten fields each stay well inside it).
MAX_PARAMS = 10_000


def decode(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split(key)
        if len(parts) > MAX_DEPTH:
            raise InvalidRequest(f"Invalid {parts[0]}: parameters may be nested at most {MAX_DEPTH} levels deep",
                                 param=parts[0])
        node = root
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if part == "":
                raise InvalidRequest(f"Invalid array: {key}", param=key)
            child = node.get(part)
            if nxt == "":
                if not isinstance(child, dict) or "" not in child:
                    child = node[part] = {"": []} if not isinstance(child, dict) else child
                    child.setdefault("", [])
                if i + 1 == len(parts) - 1:
                    child[""].append(value)
                    break
                raise InvalidRequest(f"Invalid array: {key}", param=key)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        else:
            last = parts[-1]
            if last == "":
                node.setdefault("", []).append(value)
            else:
                node[last] = value
    return _listify(root)


def parse(body: bytes | str, query: str = "") -> dict[str, Any]:
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else (body or "")
        if text.count("&") + query.count("&") + 2 > MAX_PARAMS:
            raise InvalidRequest(f"Invalid request: a request may carry at most {MAX_PARAMS} parameters.")
        pairs = (parse_qsl(query, keep_blank_values=True, errors="strict")
                 + parse_qsl(text, keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        raise InvalidRequest("Invalid request: the request parameters must be UTF-8 encoded "
                             "(application/x-www-form-urlencoded with percent-encoded UTF-8).") from None
    return decode(pairs)


# ---- coercion -----------------------------------------------------------------------
def integer(params: dict[str, Any], name: str, *, required: bool = False, default: int | None = None,
            minimum: int | None = None, label: str | None = None) -> int | None:
    label = label or name
    if name not in params or params[name] in (None, ""):
        if required:
            raise ParameterMissing(label)
        return default
    raw = params[name]
    try:
        value = int(str(raw))
    except ValueError:
        raise InvalidRequest(f"Invalid integer: {raw}", param=label, code="parameter_invalid_integer")
    if minimum is not None and value < minimum:
        raise InvalidRequest(f"This value must be greater than or equal to {minimum}.", param=label,
                             code="parameter_invalid_integer")
    return value


def boolean(params: dict[str, Any], name: str, default: bool | None = None, label: str | None = None):
    if name not in params or params[name] in (None, ""):
        return default
    raw = str(params[name]).lower()
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0"):
        return False
    raise InvalidRequest(f"Invalid boolean: {params[name]}", param=label or name)


def string(params: dict[str, Any], name: str, *, required: bool = False, default: str | None = None,
           choices: tuple[str, ...] | None = None, label: str | None = None) -> str | None:
    label = label or name
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ParameterMissing(label)
        return default
    if not isinstance(value, str):
        raise InvalidRequest(f"Invalid string: {value!r}", param=label)
    if choices and value not in choices:
        raise InvalidRequest(f"Invalid {label}: must be one of {', '.join(choices)}", param=label)
    return value


def metadata(params: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    """Merge semantics: ``metadata[k]=`` unsets k; ``metadata=`` unsets everything."""
    out = dict(current or {})
    if "metadata" not in params:
        return out
    raw = params["metadata"]
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise InvalidRequest("Invalid object", param="metadata")
    for k, v in raw.items():
        if v == "" or v is None:
            out.pop(k, None)
        else:
            if len(k) > 40:
                raise InvalidRequest(f"Metadata keys can have up to 40 characters. Invalid key: {k}",
                                     param=f"metadata[{k}]")
            out[k] = str(v)
    if len(out) > 50:
        raise InvalidRequest("Metadata can have up to 50 keys.", param="metadata")
    return out


def expand_list(params: dict[str, Any]) -> list[str]:
    raw = params.get("expand")
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, dict):
        return [str(v) for v in raw.values()]
    return [str(v) for v in raw]
