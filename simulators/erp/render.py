"""Internal records -> NetSuite REST JSON (``links``, ``{id, refName}`` references, sublists that are
links unless ``expandSubResources=true``)."""
from __future__ import annotations

from typing import Any

from .state.base import TERMS, period_name
from .state.entities import REV_RULES
from .state.orders import INVOICE_STATUS, SO_STATUS

BASE = "/services/rest/record/v1"
STATUS_NAMES = {"salesOrder": SO_STATUS, "invoice": INVOICE_STATUS,
                "creditMemo": {"A": "Open", "B": "Fully Applied"},
                "customerPayment": {"A": "Unapproved Payment", "B": "Not Deposited", "C": "Deposited"},
                "itemFulfillment": {"A": "Picked", "B": "Packed", "C": "Shipped"}}
SKIP = {"items", "invoices", "fulfillments", "payments", "credits", "apply", "lines", "elements", "recordType",
        "revisions", "creditMemos", "termMonths"}


class Renderer:
    def __init__(self, state, host_url: str):
        self.state = state
        self.root = host_url.rstrip("/") + BASE

    def link(self, rtype: str, rid: str, *tail: str) -> list[dict]:
        href = "/".join([self.root, rtype, rid, *tail])
        return [{"rel": "self", "href": href}]

    def ref(self, rtype: str, rid: str | None) -> dict | None:
        if rid is None:
            return None
        name = rid
        recs = self.state.store.data["records"]
        if rtype == "customer" and rid in recs["customer"]:
            name = recs["customer"][rid].get("companyName") or recs["customer"][rid].get("entityId")
        elif rtype == "item":
            try:
                rec = self.state.item_record(rid)
                name, rtype = rec["itemId"], rec["recordType"]
            except Exception:
                pass
        else:
            rec = recs.get(rtype, {}).get(rid)
            if rec and rec.get("tranId"):
                name = rec["tranId"]
        return {"links": self.link(rtype, rid), "id": rid, "refName": name}

    def record(self, rtype: str, rec: dict, expand: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"links": self.link(rtype, rec["id"])}
        for k, v in rec.items():
            if k in SKIP or v is None:
                continue
            if k in ("entity", "customer"):
                out[k] = self.ref("customer", v)
            elif k == "item":
                out[k] = self.ref("item", v)
            elif k == "createdFrom":
                src = "salesOrder" if rtype in ("invoice", "itemFulfillment") else \
                    "invoice" if rtype == "creditMemo" else "revenueElement"
                out[k] = self.ref(src, v)
            elif k == "terms":
                out[k] = {"id": v, "refName": TERMS.get(v, (v,))[0]}
            elif k == "status" and rtype in STATUS_NAMES:
                out[k] = {"id": STATUS_NAMES[rtype].get(v, v), "refName": STATUS_NAMES[rtype].get(v, v)}
                if rtype == "salesOrder":
                    out["orderStatus"] = {"id": v, "refName": SO_STATUS.get(v, v)}
            elif k in ("currency", "subsidiary"):
                out[k] = {"id": v, "refName": "USA" if k == "currency" and v == "1" else v}
            elif k == "revenueRecognitionRule":
                out[k] = {"id": v, "refName": REV_RULES.get(v, (v,))[0]}
            elif k in ("revenueArrangement", "revenuePlan", "source", "salesOrder", "revenueElement"):
                target = {"revenueArrangement": "revenueArrangement", "revenuePlan": "revenuePlan",
                          "source": "invoice", "salesOrder": "salesOrder", "revenueElement": "revenueElement"}[k]
                out[k] = self.ref(target, v)
            elif k == "postingPeriod":
                out[k] = {"id": v.replace("-", ""), "refName": period_name(v)}
            elif k == "taxAmount":
                continue
            else:
                out[k] = v
        if rtype in ("customerPayment", "creditMemo"):
            out["apply"] = self.sublist(rtype, rec["id"], "apply",
                                        [{"doc": self.ref("invoice", a["doc"]), "apply": True, "amount": a["amount"],
                                          "type": "Invoice", "refNum": self._tran(a["doc"])}
                                         for a in rec.get("apply", [])], expand)
        if "items" in rec:
            out["item"] = self.sublist(rtype, rec["id"], "item",
                                       [self.line(ln) for ln in rec["items"]], expand)
        if rtype == "journalEntry":
            out["line"] = self.sublist(rtype, rec["id"], "line",
                                       [{**{k: v for k, v in ln.items() if k not in ("account", "entity",
                                                                                     "revenueElement")},
                                         "account": {"id": ln["account"], "refName": ln["accountName"]},
                                         "entity": self.ref("customer", ln["entity"])} for ln in rec["lines"]],
                                       expand)
        if rtype == "revenuePlan":
            out["plannedRevenue"] = self.sublist(rtype, rec["id"], "plannedRevenue", [
                {"id": ln["id"], "plannedPeriod": {"id": ln["period"].replace("-", ""),
                                                   "refName": period_name(ln["period"])},
                 "amount": ln["amount"], "isRecognized": ln["recognized"], "lineType": ln["kind"],
                 "journal": self.ref("journalEntry", ln["journalEntry"]), "dateExecuted": ln["dateExecuted"]}
                for ln in rec["lines"]], expand)
        if rtype == "revenueArrangement":
            out["revenueElement"] = self.sublist(rtype, rec["id"], "revenueElement",
                                                 [self.ref("revenueElement", e) for e in rec["elements"]], expand)
        return {k: v for k, v in out.items() if v is not None}

    def _tran(self, rid: str) -> str | None:
        for recs in self.state.store.data["records"].values():
            if rid in recs:
                return recs[rid].get("tranId")
        return None

    def line(self, ln: dict) -> dict:
        out = {k: v for k, v in ln.items() if k not in ("item", "taxAmount")}
        out["item"] = self.ref("item", ln["item"])
        out["custcol_ava_taxamount"] = ln["taxAmount"]
        if "revenueRecognitionRule" in ln:
            out["revenueRecognitionRule"] = {"id": ln["revenueRecognitionRule"],
                                             "refName": REV_RULES.get(ln["revenueRecognitionRule"], ("",))[0]}
        return out

    def sublist(self, rtype: str, rid: str, name: str, rows: list[dict], expand: bool) -> dict:
        links = self.link(rtype, rid, name)
        if not expand:
            return {"links": links}
        return {"links": links, "items": [{"links": [], **r} for r in rows], "totalResults": len(rows),
                "count": len(rows), "hasMore": False, "offset": 0}
