"""A quick yes/no check of a request against its generated schema, so valid requests (nearly all of them)
skip the general JSON Schema validator; only a request this check refuses goes through ``jsonschema``, which
finds and words the error.

It compiles the subset of JSON Schema the generator writes (type, properties, required,
additionalProperties, maxProperties, propertyNames, items, enum, pattern, minLength, maxLength) into nested
closures. It is conservative: a keyword it does not know makes that (sub)schema answer "not sure" (False),
which sends the request to the full validator, so a "yes" here is always a "yes" there.
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any, Callable

Check = Callable[[Any], bool]
KNOWN = {"type", "properties", "required", "additionalProperties", "maxProperties", "propertyNames", "items",
         "enum", "pattern", "minLength", "maxLength", "$schema", "title", "description"}
PY_TYPES = {"object": dict, "string": str, "array": list}

_CACHE: dict[tuple[str, int], Check] = {}
_LOCK = threading.Lock()


def _never(_: Any) -> bool:
    return False


def _always(_: Any) -> bool:
    return True


def compile_schema(schema: dict[str, Any]) -> Check:
    if not schema:
        return _always
    if any(k not in KNOWN and not k.startswith("x-") for k in schema):
        return _never
    types = schema.get("type")
    py = tuple(PY_TYPES[t] for t in (types if isinstance(types, list) else [types])) if types else None
    if py is not None and None in py:
        return _never
    props = {k: compile_schema(v) for k, v in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    extra_check = _always if extra is True else _never if extra is False else compile_schema(extra)
    max_props = schema.get("maxProperties")
    name_max = (schema.get("propertyNames") or {}).get("maxLength")
    if schema.get("propertyNames") and set(schema["propertyNames"]) - {"maxLength"}:
        return _never
    items = compile_schema(schema["items"]) if "items" in schema else _always
    enum = frozenset(schema["enum"]) if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]) else None
    if "enum" in schema and enum is None:
        return _never
    pattern = re.compile(schema["pattern"]).search if "pattern" in schema else None
    min_len, max_len = schema.get("minLength"), schema.get("maxLength")

    def check(value: Any) -> bool:
        if py is not None and not isinstance(value, py):
            return False
        if enum is not None and not isinstance(value, str):
            return False
        if isinstance(value, dict):
            for r in required:
                if r not in value:
                    return False
            if max_props is not None and len(value) > max_props:
                return False
            for k, v in value.items():
                if name_max is not None and len(k) > name_max:
                    return False
                sub = props.get(k)
                if not (sub(v) if sub is not None else extra_check(v)):
                    return False
            return True
        if isinstance(value, str):
            if enum is not None and value not in enum:
                return False
            if min_len is not None and len(value) < min_len:
                return False
            if max_len is not None and len(value) > max_len:
                return False
            return pattern is None or pattern(value) is not None
        if isinstance(value, list):
            return all(items(v) for v in value)
        return False   # another JSON type (the form decoder makes none): let the full validator judge
    return check


def compile_dir(schema_dir: Path) -> dict[str, Check]:
    """operation -> quick check, compiled once per process (again only if a file changes)."""
    out = {}
    for path in sorted(schema_dir.glob("*.json")):
        key = (str(path), path.stat().st_mtime_ns)
        with _LOCK:
            check = _CACHE.get(key)
            if check is None:
                check = _CACHE[key] = compile_schema(json.loads(path.read_text()))
        out[path.stem] = check
    return out
