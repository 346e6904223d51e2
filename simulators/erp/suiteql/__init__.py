"""SuiteQL: a real parser (lark) for the subset an integration uses, evaluated over the ERP's state."""
from .engine import run_query

__all__ = ["run_query"]
