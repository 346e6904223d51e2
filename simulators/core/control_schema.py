"""Validation of control-plane input against ``control_openapi.yaml``, before anything is applied.

One document describes every ``/_sim`` operation; the request body schemas in it are plain JSON
Schema (OpenAPI 3.1), checked here with ``jsonschema``. Bodies must be strict JSON: ``NaN`` and
``Infinity`` (which Python's parser accepts) are refused, so every number that reaches the clock
or the fault layer is finite. A refused request answers 400 in one shape and changes nothing:

    {"error": "invalid control request: <first problem>",
     "details": [{"path": "latency.ms", "message": "'abc' is not of type 'number'"}, ...]}
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from .errors import ControlError

OPENAPI_PATH = Path(__file__).with_name("control_openapi.yaml")
_lock = threading.Lock()
_cache: dict[str, Any] = {}


def openapi() -> dict[str, Any]:
    with _lock:
        if "doc" not in _cache:
            _cache["doc"] = yaml.safe_load(OPENAPI_PATH.read_text())
        return _cache["doc"]


def _inline(node: Any, doc: dict[str, Any]) -> Any:
    """Resolve local ``$ref``s (``#/components/schemas/X``) so each schema stands alone."""
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].startswith("#/"):
            target: Any = doc
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return {**_inline(target, doc), **_inline(extra, doc)}
        return {k: _inline(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, doc) for v in node]
    return node


def _routes() -> list[tuple[str, re.Pattern, Draft202012Validator]]:
    with _lock:
        if "routes" in _cache:
            return _cache["routes"]
    doc = openapi()
    routes = []
    for template, ops in doc.get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, op in ops.items():
            schema = (((op or {}).get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
            if schema is not None:
                routes.append((method.upper(), pattern, Draft202012Validator(_inline(schema, doc))))
    with _lock:
        _cache["routes"] = routes
    return routes


def body_validator(method: str, path: str) -> Draft202012Validator | None:
    """The request body schema of a control operation, if the document gives one."""
    for m, pattern, validator in _routes():
        if m == method and pattern.match(path):
            return validator
    return None


def schema_validator(name: str) -> Draft202012Validator:
    """A named schema of ``components/schemas`` (e.g. ``FaultRule``), for callers outside HTTP."""
    key = f"component:{name}"
    with _lock:
        if key in _cache:
            return _cache[key]
    doc = openapi()
    validator = Draft202012Validator(_inline(doc["components"]["schemas"][name], doc))
    with _lock:
        _cache[key] = validator
    return validator


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number in JSON")


def strict_json(raw: bytes) -> Any:
    """Parse a control body: empty means ``{}``; NaN/Infinity and malformed JSON are a 400."""
    if not raw or not raw.strip():
        return {}
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlError(f"invalid control request: the body is not strict JSON ({exc})") from None


def check(validator: Draft202012Validator, body: Any) -> None:
    """Raise the one-shape 400 when ``body`` does not satisfy the schema."""
    errors = sorted(validator.iter_errors(body), key=lambda e: (list(e.absolute_path), e.message))
    if not errors:
        return
    details = [{"path": ".".join(str(p) for p in e.absolute_path) or "(body)", "message": e.message}
               for e in errors[:10]]
    first = details[0]
    raise ControlError(f"invalid control request: {first['path']}: {first['message']}", details=details)
