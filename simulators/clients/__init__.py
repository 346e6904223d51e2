"""Clients of the four systems, shared by everything that talks to them through their public APIs:
the reference integration, the reconciliation (which must not depend on what it judges), the
business scenarios and the load suite."""
from .conns import SalesforceConn, StripeConn, check, error_code, retry_after, wire
from .rest import AvaTaxConn, ErpConn
from .errors import AlreadyExists, Permanent, Retryable
from .settings import Connections

__all__ = ["AlreadyExists", "AvaTaxConn", "Connections", "ErpConn", "Permanent", "Retryable", "SalesforceConn",
           "StripeConn", "check", "error_code", "retry_after", "wire"]
