"""A fake's WSGI application without a web framework: the control plane (``/_sim``) in front of
the vendor's lane (``lane.py``), which answers every other path, known or not, in the vendor's
shape. Fakes with HTML pages (the Salesforce portal, Stripe's hosted invoice page) keep a Flask
app behind their lane for those pages; the reference integration uses a ``VendorApp`` too.

``VendorApp`` offers what the harness, the live server and tests use of an app: ``extensions``
(``sim``, ``lane``, ``control``, the vendor's state), ``wsgi_app``, the WSGI call itself and
``test_client()`` (werkzeug's test client).
"""
from __future__ import annotations

from typing import Any, Callable

from .control import mount


class VendorApp:
    def __init__(self, name: str):
        self.name = name
        self.extensions: dict[str, Any] = {}
        self.wsgi_app: Callable = _nothing

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        return self.wsgi_app(environ, start_response)

    def test_client(self):
        from werkzeug.test import Client
        from werkzeug.wrappers import Response
        return Client(self, Response)

    def serve(self, sim: Any, lane: Any) -> "VendorApp":
        """Wire the pipeline: the control plane, then the lane (which owns every other path)."""
        self.extensions.update(sim=sim, lane=lane)
        self.wsgi_app = self.extensions["control"] = mount(sim, lane)
        return self


def _nothing(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
