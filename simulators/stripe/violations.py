"""A schema violation worded as Stripe words it (docs.stripe.com/error-codes).

The generated schemas (tools/gen_stripe_schemas.py) mark each leaf with ``x-stripe`` (integer, boolean, enum,
currency, email, metadata, ...); the first failing check picks the answer:

- unknown name: ``parameter_unknown`` "Received unknown parameter: customer[bogus]";
- missing: ``parameter_missing`` "Missing required param: amount.";
- ``""`` where a value cannot be unset: ``parameter_invalid_empty``;
- integers: ``parameter_invalid_integer`` "Invalid integer: abc";
- booleans: "Invalid boolean: 1" with no code (as Stripe answers, e.g. github.com/stripe/stripe-php/issues/1395);
- enums: "Invalid capture_method: must be one of automatic, automatic_async, or manual";
- email: ``email_invalid``; metadata: Stripe's own key/value/count messages.
"""
from __future__ import annotations

from typing import Any

from simulators.core.validation import Violation

from .errors import InvalidRequest, ParameterMissing, ParameterUnknown, StripeError


def _label(path: list[Any]) -> str:
    parts = [str(p) for p in path]
    return parts[0] + "".join(f"[{p}]" for p in parts[1:]) if parts else ""


def _one_of(values: list[str]) -> str:
    values = [v for v in values if v != ""]
    if len(values) <= 2:
        return " or ".join(values)
    return ", ".join(values[:-1]) + ", or " + values[-1]


def _clip(value: Any, n: int = 60) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "..."


def _empty(label: str) -> StripeError:
    return InvalidRequest(f"You passed an empty string for '{label}'. We assume empty values are an attempt to unset a "
                          f"parameter; however '{label}' cannot be unset. You should remove '{label}' from your "
                          "request or supply a non-empty value.", param=label, code="parameter_invalid_empty")


def _kind(schema: dict[str, Any], value: Any) -> str:
    if isinstance(value, str) and "x-stripe-string" in schema:
        return schema["x-stripe-string"]
    return schema.get("x-stripe", "")


def violation_error(v: Violation) -> StripeError:
    if not v.raw:
        return InvalidRequest("Invalid request")
    e = v.raw[0]
    path, keyword, value, schema = list(e.absolute_path), e.validator, e.instance, e.schema
    label = _label(path)
    if keyword == "additionalProperties":
        known = set(schema.get("properties", {}))
        name = sorted(k for k in value if k not in known)[0]
        return ParameterUnknown(_label(path + [name]))
    if keyword == "required":
        name = next(r for r in schema["required"] if r not in value)
        return ParameterMissing(_label(path + [name]))
    if "propertyNames" in e.relative_schema_path:   # a metadata key
        return InvalidRequest(f"Metadata keys can have up to 40 characters. Invalid key: {value}",
                              param=_label(path + [value]))
    if keyword == "maxProperties":
        return InvalidRequest("Metadata can have up to 50 keys.", param=label)
    kind = _kind(schema, value)
    if keyword == "type":
        want = schema.get("type")
        want = want if isinstance(want, list) else [want]
        if isinstance(value, str) and "string" not in want:
            if value == "":
                return _empty(label)
            return InvalidRequest("Invalid array" if "array" in want else "Invalid object", param=label)
        if isinstance(value, list) and "array" not in want:
            return InvalidRequest("Invalid hash" if "object" in want else f"Invalid {kind or 'string'}: an array",
                                  param=label)
        return InvalidRequest("Invalid hash" if "object" in want else
                              f"Invalid {kind or 'string'}: {_clip(value)}", param=label)
    if keyword == "maxLength" and schema.get("x-stripe") == "unset" or (keyword == "maxLength" and kind == "unset"):
        return InvalidRequest("Invalid object" if "object" in schema.get("type", []) else "Invalid array",
                              param=label)
    if value == "" and keyword in ("minLength", "pattern", "enum"):
        return _empty(label)
    if keyword == "maxLength":
        parent = _label(path[:-1]) if len(path) > 1 else ""
        if parent.endswith("metadata") or parent == "metadata":
            return InvalidRequest(f"Metadata values can have up to 500 characters, but you passed in a value that is "
                                  f"{len(value)} characters. Invalid value: {_clip(value, 500)}", param=label)
        return InvalidRequest(f"Invalid string: {_clip(value)}; must be at most {schema['maxLength']} characters",
                              param=label)
    if kind == "integer":
        return InvalidRequest(f"Invalid integer: {_clip(value)}", param=label, code="parameter_invalid_integer")
    if kind == "decimal":
        return InvalidRequest(f"Invalid decimal: {_clip(value)}", param=label)
    if kind == "boolean":
        return InvalidRequest(f"Invalid boolean: {_clip(value)}", param=label)
    if kind == "currency":
        return InvalidRequest(f"Invalid currency: {_clip(value)}. Stripe currently supports these currencies: "
                              "see https://stripe.com/docs/currencies", param=label)
    if kind == "email":
        return InvalidRequest(f"Invalid email address: {_clip(value)}", param=label, code="email_invalid")
    if keyword == "enum" or "+" in kind or kind == "enum":
        choices = schema.get("enum") or []
        if not choices and "pattern" in schema:
            choices = schema["pattern"][2:-2].split("|")
        return InvalidRequest(f"Invalid {label}: must be one of {_one_of(choices)}",
                              param=label)
    return InvalidRequest(f"Invalid {kind or 'value'}: {_clip(value)}", param=label or None)
