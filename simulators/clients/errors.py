"""How a call to one of the systems failed, sorted for whoever retries it."""
from __future__ import annotations


class Retryable(Exception):
    """A transient failure: try again later (not before ``retry_after`` seconds when the vendor said so)."""

    def __init__(self, message: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(Exception):
    """A failure that retrying will not fix: dead-letter it at once."""


class AlreadyExists(Retryable):
    """The system refused a create because the record is already there (ERP ``DUP_RCRD``,
    Salesforce ``DUPLICATE_VALUE``): another worker or an earlier attempt won the race. Callers
    that can, re-read the record and carry on when it matches; one that escapes a job is retried
    like any transient failure, and the retry's look-before-create finds the record."""
