"""SuiteQL: the Oracle dialect parsed by sqlglot and run by SQLite over the ERP's records."""
from .engine import run_query

__all__ = ["run_query"]
