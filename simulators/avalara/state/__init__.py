"""The fake AvaTax's state: per-resource stores composed (transactions, companies and nexus,
customers and certificates, credentials) plus the read-only definitions. No request context, no
web framework."""
from __future__ import annotations

from typing import Any

from ...core.sim import Sim
from ..engine import TaxTables
from ..wire import AnswerCache
from .accounts import AccountStore
from .companies import CompanyStore
from .customers import CustomerStore
from .definitions import Definitions
from .transactions import TransactionStore


class AvaTaxState:
    def __init__(self, sim: Sim, tables: TaxTables):
        self.sim = sim
        self.tables = tables
        self.companies = CompanyStore(sim, tables)
        self.transactions = TransactionStore(sim, tables, self.companies)
        self.customers = CustomerStore(sim, self.companies)
        self.transactions.customers = self.customers   # certificates on file exempt a customer's lines
        self.accounts = AccountStore(sim)
        self.definitions = Definitions(tables, sim)
        # encoded answers of stored transactions, valid until the transaction store next changes
        self.answers = AnswerCache(self.transactions.store.lock)

    # what the calculation may read to apply exemptions
    def customer(self, company: str, code: str) -> dict[str, Any] | None:
        return self.customers.customer(company, code)

    def certificates_for(self, company: str, customer_code: str, on: str | None = None) -> list[dict[str, Any]]:
        return self.customers.certificates_for(company, customer_code, on)


def shape(doc: dict[str, Any], include: str | None) -> dict[str, Any]:
    """Apply ``$include``: the default is the full document (Summary implies Details implies
    Lines, plus Addresses); SummaryOnly drops lines, details and addresses; LinesOnly drops
    details."""
    opts = {p.strip().lower() for p in (include or "").split(",") if p.strip()}
    out = dict(doc)
    out.pop("companyCode", None)
    if "summaryonly" in opts:
        out.pop("lines", None)
        out.pop("addresses", None)
        return out
    if "linesonly" in opts:
        out["lines"] = [{k: v for k, v in l.items() if k != "details"} for l in doc["lines"]]
        out.pop("summary", None)
    return out

