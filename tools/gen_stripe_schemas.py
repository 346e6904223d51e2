"""Generate the fake Stripe's parameter schemas from the official ``stripe`` Python package.

    .venv/bin/python tools/gen_stripe_schemas.py          # rewrite simulators/stripe/schemas/*.json
    .venv/bin/python tools/gen_stripe_schemas.py --check  # exit 1 if a schema is out of date

The SDK ships a TypedDict for the parameters of every API method (``stripe/params/_<resource>_<method>_params.py``,
generated from Stripe's OpenAPI spec). For every operation the fake serves (the route tables in
``simulators/stripe/routes_*.py``) this writes one JSON Schema of the *decoded form* (stripe/params.py): values are
strings as on the wire, arrays are lists, hashes are objects. Each leaf carries ``x-stripe`` (integer, boolean,
enum, decimal, string, metadata, currency, email, object, array) so the fake can word Stripe's error for it.

What the SDK types do not carry is added from Stripe's documentation:
- metadata: at most 50 keys, keys up to 40 characters, values up to 500 (docs.stripe.com/api/metadata);
- currency: Stripe's supported ISO codes, case-insensitive (docs.stripe.com/currencies);
- email fields: an address (Stripe answers ``email_invalid``);
- other strings: at most 5000 characters (the ``maxLength`` of most strings in Stripe's OpenAPI spec).
"""
from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import typing
from pathlib import Path

import typing_extensions as te

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "simulators" / "stripe" / "schemas"

# docs.stripe.com/currencies (presentment currencies for card payments)
CURRENCIES = (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf chf "
    "clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils "
    "inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk "
    "mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp "
    "sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw").split()
CURRENCY_PATTERN = "^(?i:" + "|".join(CURRENCIES) + ")$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_FIELDS = {"email", "receipt_email"}
MAX_STRING = 5000
INTEGER = r"-?[0-9]+"
DECIMAL = r"-?[0-9]+(\.[0-9]+)?"

# operation -> params module stem, where it is not "<singular resource>_<method>"
MODULES = {
    "customers.payment_methods": "customer_list_payment_methods",
    "invoices.finalize": "invoice_finalize_invoice",
    "credit_notes.void": "credit_note_void_credit_note",
    "invoices.send": "invoice_send_invoice",
    "invoices.void": "invoice_void_invoice",
    "invoices.upcoming": "invoice_create_preview",
    "invoice_lines.list": "invoice_list_lines",
    "invoice_lines.update": "invoice_line_item_update",
    "invoiceitems": "invoice_item",
    "test_clocks": "test_helpers/test_clock",
}


def module_stem(operation: str) -> str:
    if operation in MODULES:
        return MODULES[operation]
    resource, method = operation.split(".")
    resource = MODULES.get(resource, resource)
    singular = resource[:-1] if resource.endswith("s") else resource
    return f"{singular}_{method}"


def params_class(operation: str) -> type:
    stem = module_stem(operation)
    package, _, name = stem.rpartition("/")
    module = importlib.import_module(f"stripe.params.{package + '.' if package else ''}_{name}_params")
    cls_name = "".join(part.capitalize() for part in name.split("_")) + "Params"
    return getattr(module, cls_name)


# ---- Python type -> schema ------------------------------------------------------------------------------
def _resolve(ann, module) -> typing.Any:
    if isinstance(ann, str):
        return eval(ann, vars(module))   # the SDK's own annotation strings, evaluated in their module
    if isinstance(ann, typing.ForwardRef):
        return eval(ann.__forward_arg__, vars(module))
    return ann


def _members(tp) -> list:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return [m for arg in typing.get_args(tp) for m in _members(arg)]
    if tp is type(None):
        return []
    return [tp]


def _literal_values(tp) -> list[str] | None:
    if typing.get_origin(tp) in (typing.Literal, te.Literal):
        return [str(v) for v in typing.get_args(tp)]
    return None


def schema_for(tp, module, name: str, depth: int = 0) -> dict:
    """One schema for a (possibly union) type. Unions are merged per JSON type rather than expressed
    with ``anyOf``, so a failing value yields one precise error: a string alternative ``''`` (Stripe's
    "unset") next to a hash or an array becomes ``maxLength: 0`` on the string side."""
    if depth > 12:
        return {}
    members = _members(_resolve(tp, module))
    strings: list[dict] = []
    other: dict = {}
    for m in members:
        s = _one(m, module, name, depth)
        if s.get("type") == "string":
            strings.append(s)
        elif s:
            other = _merge(other, s)
    string = _merge_strings(strings, bool(other))
    if not other:
        return string or {}
    if string:
        extra = {k: v for k, v in string.items() if k not in ("type", "x-stripe")}
        other = dict(other, type=[other["type"], "string"], **extra, **{"x-stripe-string": string["x-stripe"]})
    return other


def _merge(a: dict, b: dict) -> dict:
    return b if not a else a   # two non-string alternatives (rare: hash|array) keep the first


def _merge_strings(strings: list[dict], beside_other: bool) -> dict:
    if not strings:
        return {}
    unset = [s for s in strings if s.get("enum") == [""]]
    rest = [s for s in strings if s.get("enum") != [""]]
    if not rest:
        return {"type": "string", "maxLength": 0, "x-stripe": "unset"} if beside_other else \
            {"type": "string", "enum": [""], "x-stripe": "enum"}
    if any(s.get("x-stripe") != "string" for s in rest):
        # stripe-python types enums as ``Literal[...]|str`` so newer API values still type-check; the API
        # itself refuses values outside the enum, so the open ``str`` is dropped here
        rest = [s for s in rest if s.get("x-stripe") != "string"]
    if len(rest) == 1:
        s = dict(rest[0])
        if unset:
            s["x-unsettable"] = True
            if "enum" in s:
                s["enum"] = [""] + s["enum"]
            elif "pattern" in s:
                s["pattern"] = "^(" + s["pattern"][1:-1] + ")?$"
            else:
                s.pop("minLength", None)
        return s
    alts = []
    for s in rest:
        alts += [re.escape(v) for v in s["enum"]] if "enum" in s else [s["pattern"][1:-1]]
    if unset:
        alts.append("")
    kinds = sorted({s["x-stripe"] for s in rest})
    return {"type": "string", "pattern": "^(" + "|".join(alts) + ")$", "x-stripe": kinds[0] if len(kinds) == 1 else "+".join(kinds)}


def _one(tp, module, name: str, depth: int) -> dict:
    lit = _literal_values(tp)
    if lit is not None:
        return {"type": "string", "enum": lit, "x-stripe": "enum"}
    if tp is bool:
        return {"type": "string", "enum": ["true", "false"], "x-stripe": "boolean"}
    if tp is int:
        return {"type": "string", "pattern": f"^{INTEGER}$", "x-stripe": "integer"}
    if tp is float:
        return {"type": "string", "pattern": f"^{DECIMAL}$", "x-stripe": "decimal"}
    if tp is str:
        if name == "currency":
            return {"type": "string", "pattern": CURRENCY_PATTERN, "x-stripe": "currency"}
        if name in EMAIL_FIELDS:
            return {"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 800, "x-stripe": "email"}
        return {"type": "string", "minLength": 1, "maxLength": MAX_STRING, "x-stripe": "string"}
    origin = typing.get_origin(tp)
    if origin in (list, typing.List):
        (item,) = typing.get_args(tp) or (str,)
        return {"type": "array", "items": schema_for(item, module, name, depth + 1), "x-stripe": "array"}
    if origin in (dict, typing.Dict) or getattr(tp, "__name__", "") == "UntypedStripeObject" or \
            getattr(origin, "__name__", "") == "UntypedStripeObject":
        if name == "metadata":
            return {"type": "object", "maxProperties": 50, "propertyNames": {"maxLength": 40},
                    "additionalProperties": {"type": "string", "maxLength": 500}, "x-stripe": "metadata"}
        return {"type": "object", "x-stripe": "object"}
    if te.is_typeddict(tp):
        return object_schema(tp, depth + 1)
    if tp is typing.Any or tp is object:
        return {}
    return {}


def object_schema(cls: type, depth: int = 0, skip: frozenset[str] = frozenset()) -> dict:
    module = sys.modules[cls.__module__]
    props = {}
    for key, ann in cls.__annotations__.items():
        if key in skip:
            continue
        ann = _resolve(ann, module)
        if typing.get_origin(ann) in (te.NotRequired, te.Required):
            (ann,) = typing.get_args(ann)
        props[key] = schema_for(ann, module, key, depth)
    required = sorted(k for k in cls.__required_keys__ if k in props)
    out = {"type": "object", "properties": dict(sorted(props.items())), "additionalProperties": False,
           "x-stripe": "object"}
    if required:
        out["required"] = required
    return out


def operations() -> list[tuple[str, str, str]]:
    from simulators.stripe.tables import route_tables
    return [(method, rule, op) for table in route_tables()
            for method, rule, op, _ in table]


def build() -> dict[str, dict]:
    from stripe._request_options import RequestOptions
    import stripe
    skip = frozenset(RequestOptions.__annotations__)
    out = {}
    for _, _, op in operations():
        cls = params_class(op)
        schema = object_schema(cls, skip=skip)
        out[op] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                   "title": f"Stripe {op} parameters (decoded form)",
                   "description": f"Generated by tools/gen_stripe_schemas.py from stripe-python {stripe.VERSION} "
                                  f"{cls.__name__}.", **schema}
    return out


DOCS = ROOT / "docs" / "stripe.md"
BEGIN, END = "<!-- operations: generated by tools/gen_stripe_schemas.py -->", "<!-- end of operations -->"


def operations_table(schemas: dict[str, dict]) -> str:
    """One row per path: its methods and operation names, and whether their parameters are validated."""
    by_path: dict[str, list[str]] = {}
    for method, rule, op in operations():
        path = re.sub(r"<([a-z_]+)>", r"{\1}", rule)
        by_path.setdefault(path, []).append(f"{method} `{op}`")
    rows = ["| Path | Methods and operations | Parameters validated |", "|---|---|---|"]
    for path in sorted(by_path):
        ops = [o.split("`")[1] for o in by_path[path]]
        rows.append(f"| `{path}` | {', '.join(by_path[path])} | {'yes' if all(o in schemas for o in ops) else 'no'} |")
    return "\n".join([BEGIN, *rows, END])


def _docs_text(schemas: dict[str, dict]) -> str:
    text = DOCS.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + operations_table(schemas) + text[end:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report out-of-date schemas, write nothing")
    args = ap.parse_args(argv)
    schemas = build()
    stale = []
    for op, schema in schemas.items():
        path = OUT / f"{op}.json"
        text = json.dumps(schema, indent=1, sort_keys=False) + "\n"
        if not path.exists() or path.read_text() != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text)
    docs = _docs_text(schemas)
    if docs != DOCS.read_text():
        stale.append(DOCS.name)
        if not args.check:
            DOCS.write_text(docs)
    extra = sorted(p.name for p in OUT.glob("*.json") if p.stem not in schemas)
    if not args.check:
        for name in extra:
            (OUT / name).unlink()
    print(f"{len(schemas)} operations; {'stale' if args.check else 'written'}: {len(stale)}; "
          f"{'orphaned' if args.check else 'removed'}: {len(extra)}")
    return 1 if args.check and (stale or extra) else 0


if __name__ == "__main__":
    sys.exit(main())
