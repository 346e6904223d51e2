"""Routes: the Search API (``GET /v1/<resource>/search``) and the invoice preview
(``POST /v1/invoices/create_preview``, the older ``GET /v1/invoices/upcoming``).

These literal paths are registered before the ``/<id>`` routes so ``search`` is never taken for an id.
Search answers ``{"object": "search_result", "data", "has_more", "next_page", "url"}``
(docs.stripe.com/api/pagination/search); ``page`` is the opaque ``next_page`` token of the previous answer.
"""
from __future__ import annotations

import base64
from typing import Any

from . import params as P
from .errors import InvalidRequest
from .routes import expand
from .search import compile_query
from .state import StripeState

S = StripeState
KINDS = {"customers": "customer", "invoices": "invoice", "payment_intents": "payment_intent", "charges": "charge",
         "prices": "price", "products": "product"}


def _page_token(offset: int, query: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{query}".encode()).decode().rstrip("=")


def _page_offset(token: str, query: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset, _, q = raw.partition(":")
        if q == query and int(offset) >= 0:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidRequest(f"Invalid page: {token}", param="page")


def _search(resource: str):
    kind, url = KINDS[resource], f"/v1/{resource}/search"

    def view(st: S, p: dict[str, Any]):
        query = P.string(p, "query", required=True)
        limit = P.integer(p, "limit", default=10)
        if not 1 <= limit <= 100:
            raise InvalidRequest("This value must be greater than or equal to 1 and less than or equal to 100.",
                                 param="limit", code="parameter_invalid_integer")
        test = compile_query(resource, query)
        start = _page_offset(p["page"], query) if p.get("page") else 0
        objects = st.d["objects"]
        hits = [objects[oid] for oid in reversed(st.d["order"].get(kind, []))
                if not objects[oid].get("deleted") and test(objects[oid])]
        page = hits[start:start + limit]
        more = start + limit < len(hits)
        out = {"object": "search_result", "data": page, "has_more": more,
               "next_page": _page_token(start + limit, query) if more else None, "url": url}
        wanted = expand(p)
        if "total_count" in wanted:
            out["total_count"] = len(hits)
            wanted = [w for w in wanted if w != "total_count"]
        return st.render(out, wanted)
    return view


def invoice_preview(st: S, p: dict[str, Any]):
    return st.render(st.preview.preview_invoice(p), expand(p))


TABLE = [("GET", f"/v1/{resource}/search", f"{resource}.search", _search(resource)) for resource in KINDS] + [
    ("POST", "/v1/invoices/create_preview", "invoices.create_preview", invoice_preview),
    ("GET", "/v1/invoices/upcoming", "invoices.upcoming", invoice_preview),
]
