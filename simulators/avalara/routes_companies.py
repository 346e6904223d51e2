"""AvaTax companies, customers, certificates and transaction batches."""
from __future__ import annotations

from typing import Any

from ..core.clock import iso
from .errors import AvaTaxError
from .query import apply
from .routes import Call, Route
from .state import AvaTaxState


def _list(call: Call) -> list[Any]:
    body = call.body
    if isinstance(body, dict):   # one object where a list is expected: taken as a list of one
        body = [body] if body else []
    return body


def query_companies(st: AvaTaxState, call: Call):
    return apply(st.companies.all(), call.args)


def get_company(st: AvaTaxState, call: Call, company_id: str):
    return st.companies.get(company_id)


def create_companies(st: AvaTaxState, call: Call):
    return st.companies.create(_list(call))


def declare_nexus(st: AvaTaxState, call: Call, company_id: str):
    return st.companies.declare_nexus(company_id, _list(call))


def create_customers(st: AvaTaxState, call: Call, company_id: str):
    return st.customers.create_customers(company_id, _list(call))


def get_customer(st: AvaTaxState, call: Call, company_id: str, code: str):
    return st.customers.get_customer(company_id, code)


def query_customers(st: AvaTaxState, call: Call, company_id: str):
    return apply(st.customers.customers(company_id), call.args)


def create_certificates(st: AvaTaxState, call: Call, company_id: str):
    return st.customers.create_certificates(company_id, _list(call))


def query_certificates(st: AvaTaxState, call: Call, company_id: str):
    return apply(st.customers.certificates(company_id), call.args)


def customer_certificates(st: AvaTaxState, call: Call, company_id: str, code: str):
    return apply(st.customers.certificates_of_customer(company_id, code), call.args)


def create_batch(st: AvaTaxState, call: Call, company_id: str):
    """CreateTransactionBatchRequestModel: ``{name, transactions: [{createTransactionModel}]}``. The
    harness runs the batch at once (AvaTax queues it): the answer's status is ``Completed`` and
    every transaction is stored; a transaction that fails stops the batch with its error."""
    company = st.companies.get(company_id)
    body = call.body if isinstance(call.body, dict) else {}
    items = body.get("transactions")
    if not body.get("name") or not isinstance(items, list) or not items:
        raise AvaTaxError("ValueRequiredError", "Fields 'name' and 'transactions' are required.",
                          refers_to="transactions")
    for item in items:
        model = item.get("createtransactionmodel") if isinstance(item, dict) else None
        if not isinstance(model, dict):
            raise AvaTaxError("ValueRequiredError", "Field 'createTransactionModel' is required.",
                              refers_to="createTransactionModel")
        st.transactions.create(dict(model, companycode=company["companyCode"]))
    now = iso(st.sim.now())
    return {"id": st.sim.ids.counter("avalara-batch"), "name": body["name"], "accountId": 0,
            "companyId": company["id"], "type": "TransactionImport", "status": "Completed",
            "startedDate": now, "recordCount": len(items), "currentRecord": len(items), "completedDate": now,
            "createdDate": now, "modifiedDate": now}


TABLE = [
    Route("GET", "/companies", "companies.query", query_companies, inline=True),
    Route("POST", "/companies", "companies.create", create_companies, 201),
    Route("GET", "/companies/<company_id>", "companies.get", get_company, inline=True),
    Route("POST", "/companies/<company_id>/nexus", "nexus.create", declare_nexus, 201),
    Route("POST", "/companies/<company_id>/customers", "customers.create", create_customers, 201),
    Route("GET", "/companies/<company_id>/customers", "customers.query", query_customers, inline=True),
    Route("GET", "/companies/<company_id>/customers/<code>", "customers.get", get_customer, inline=True),
    Route("GET", "/companies/<company_id>/customers/<code>/certificates", "certificates.list_for_customer",
          customer_certificates, inline=True),
    Route("POST", "/companies/<company_id>/certificates", "certificates.create", create_certificates, 201),
    Route("GET", "/companies/<company_id>/certificates", "certificates.query", query_certificates, inline=True),
    Route("POST", "/companies/<company_id>/batches/transactions", "batches.create_transactions", create_batch, 201),
]
