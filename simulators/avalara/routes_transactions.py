"""AvaTax transaction routes: operation name -> handler (parsing only; the work is in ``state/``)."""
from __future__ import annotations

from typing import Any

from .errors import AvaTaxError
from .query import apply
from .routes import Call, Route, estimate_inline
from .state import AvaTaxState, shape

C = "/companies/<company>/transactions/<code>"


def _obj(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise AvaTaxError("ModelStateInvalid", "The request body must be a JSON object.", refers_to="body")
    return call.body


def _answer(doc: dict[str, Any], call: Call) -> dict[str, Any]:
    return shape(doc, call.arg("$include"))


def create(st: AvaTaxState, call: Call):
    return _answer(st.transactions.create(_obj(call), call.raw), call)


def create_or_adjust(st: AvaTaxState, call: Call):
    return _answer(st.transactions.create_or_adjust(_obj(call)), call)


def list_by_company(st: AvaTaxState, call: Call, company: str):
    docs = [shape(d, call.arg("$include") or "SummaryOnly") for d in st.transactions.list(company)]
    return apply(docs, call.args)


# Reads of a stored transaction answer its encoded JSON, kept until the store next changes
# (``wire.AnswerCache``), each ``$include`` variant apart.
def get(st: AvaTaxState, call: Call, company: str, code: str):
    doc_type, include = call.arg("documentType"), call.arg("$include")
    return st.answers.get(("code", company, code, doc_type, include),
                          lambda: shape(st.transactions.get(company, code, doc_type), include))


def get_by_type(st: AvaTaxState, call: Call, company: str, code: str, doc_type: str):
    include = call.arg("$include")
    return st.answers.get(("code", company, code, doc_type, include),
                          lambda: shape(st.transactions.get(company, code, doc_type), include))


def get_by_id(st: AvaTaxState, call: Call, id_: str):
    if not id_.isdecimal():
        raise AvaTaxError("ModelStateInvalid", f"The value '{id_}' is not a valid transaction id.", refers_to="id")
    include = call.arg("$include")
    return st.answers.get(("id", int(id_), include), lambda: shape(st.transactions.get_by_id(int(id_)), include))


def commit(st: AvaTaxState, call: Call, company: str, code: str):
    body = _obj(call)
    if "commit" not in body:
        raise AvaTaxError("ValueRequiredError", "Field 'commit' is required.", refers_to="commit")
    return _answer(st.transactions.commit(company, code, call.arg("documentType"), bool(body["commit"])), call)


def _on(method: str):
    def handler(st: AvaTaxState, call: Call, company: str, code: str):
        tx, doc_type, body = st.transactions, call.arg("documentType"), _obj(call)
        doc = {"uncommit": lambda: tx.uncommit(company, code, doc_type),
               "verify": lambda: tx.verify(company, code, doc_type, body),
               "void": lambda: tx.void(company, code, doc_type, body.get("code")),
               "lock": lambda: tx.lock(company, code, doc_type, body.get("islocked", True)),
               "adjust": lambda: tx.adjust(company, code, doc_type, body),
               "refund": lambda: tx.refund(company, code, doc_type, body),
               "changecode": lambda: tx.change_code(company, code, doc_type, body.get("newcode")),
               "settle": lambda: tx.settle(company, code, doc_type, body),
               "unvoid": lambda: tx.unvoid(company, code, doc_type)}[method]()
        return _answer(doc, call)
    return handler


def audit(st: AvaTaxState, call: Call, company: str, code: str, doc_type: str | None = None):
    return st.transactions.audit(company, code, doc_type)


def add_lines(st: AvaTaxState, call: Call):
    return _answer(st.transactions.add_lines(_obj(call)), call)


def delete_lines(st: AvaTaxState, call: Call):
    return _answer(st.transactions.delete_lines(_obj(call)), call)


def bulk_lock(st: AvaTaxState, call: Call):
    return st.transactions.bulk_lock(_obj(call))


def multidocument(st: AvaTaxState, call: Call):
    return st.transactions.create_multi_document(_obj(call))


TABLE = [
    Route("POST", "/transactions/create", "transactions.create", create, 201, inline=estimate_inline),
    Route("POST", "/transactions/createoradjust", "transactions.createoradjust", create_or_adjust, 201),
    Route("POST", "/transactions/multidocument", "transactions.multidocument", multidocument, 201),
    Route("POST", "/transactions/lock", "transactions.bulk_lock", bulk_lock),
    Route("GET", "/transactions/<id_>", "transactions.get_by_id", get_by_id, inline=True),
    Route("POST", "/companies/transactions/lines/add", "transactions.add_lines", add_lines),
    Route("POST", "/companies/transactions/lines/delete", "transactions.delete_lines", delete_lines),
    Route("GET", "/companies/<company>/transactions", "transactions.list", list_by_company, inline=True),
    Route("GET", C + "/audit", "transactions.audit", audit, inline=True),
    Route("GET", C + "/types/<doc_type>/audit", "transactions.audit_with_type", audit, inline=True),
    Route("GET", C + "/types/<doc_type>", "transactions.get_by_type", get_by_type, inline=True),
    Route("GET", C, "transactions.get", get, inline=True),
    Route("POST", C + "/commit", "transactions.commit", commit),
    Route("POST", C + "/refund", "transactions.refund", _on("refund"), 201),
    *[Route("POST", f"{C}/{name}", f"transactions.{name}", _on(name))
      for name in ("uncommit", "verify", "void", "lock", "adjust", "changecode", "settle", "unvoid")],
]
