"""Errors are data: each vendor's exception classes carry the HTTP status and the vendor's code;
one renderer per vendor writes the vendor's body (see each simulator's ``errors.py``)."""
from __future__ import annotations

from typing import Any, ClassVar


class SimError(Exception):
    """Base of every vendor error. Subclasses set ``status`` and ``code`` and implement ``body``."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "error"

    def __init__(self, message: str = "", *, status: int | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> Any:  # pragma: no cover - vendors override
        return {"error": {"code": self.code, "message": self.message}}


class DropConnection(Exception):
    """Raised by the fault layer: the transport closes the connection without a response."""


class ControlError(Exception):
    """A bad request to the harness's own control plane (``/_sim``): plain JSON, never vendor-shaped."""

    def __init__(self, message: str, status: int = 400, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message}
        if self.details:
            out["details"] = self.details
        return out
