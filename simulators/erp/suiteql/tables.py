"""The SuiteQL tables the fake exposes, built from the ERP state as rows of lower-case columns.

Each row may carry ``_df``: display values for ``BUILTIN.DF(column)``.
"""
from __future__ import annotations

from typing import Any, Callable

from ..state.base import TERMS, period_bounds, period_id, period_name
from ..state.entities import REV_RULES
from ..state.orders import INVOICE_STATUS, SO_STATUS

TYPE_CODES = {"salesOrder": ("SalesOrd", "Sales Order"), "invoice": ("CustInvc", "Invoice"),
              "customerPayment": ("CustPymt", "Payment"), "creditMemo": ("CustCred", "Credit Memo"),
              "journalEntry": ("Journal", "Journal"), "itemFulfillment": ("ItemShip", "Item Fulfillment"),
              "revenueArrangement": ("RevArrng", "Revenue Arrangement")}
STATUS = {"salesOrder": SO_STATUS, "invoice": INVOICE_STATUS, "creditMemo": {"A": "Open", "B": "Fully Applied"},
          "customerPayment": {"C": "Deposited"}, "itemFulfillment": {"C": "Shipped"}}
ITEM_CODES = {"inventoryItem": "InvtPart", "serviceSaleItem": "Service", "nonInventorySaleItem": "NonInvtPart",
              "otherChargeSaleItem": "OthCharge"}
TF = {True: "T", False: "F"}


def _customer_name(state, cid):
    c = state.records("customer").get(cid)
    return (c.get("companyName") or c.get("entityId")) if c else None


def transaction_row(state, rtype: str, rec: dict) -> list[dict]:
    code, label = TYPE_CODES[rtype]
    entity = rec.get("entity") or rec.get("customer")
    st = rec.get("status")
    total = rec.get("total", rec.get("payment"))
    row = {"id": rec["id"], "tranid": rec.get("tranId"), "type": code, "recordtype": rtype.lower(),
           "entity": entity, "trandate": rec.get("tranDate"), "duedate": rec.get("dueDate"),
           "status": st, "externalid": rec.get("externalId"), "foreigntotal": total,
           "total": total, "taxtotal": rec.get("taxTotal"), "subtotal": rec.get("subtotal"),
           "foreignamountremaining": rec.get("amountRemaining"),
           "foreignamountunpaid": rec.get("amountRemaining"),
           "amountremaining": rec.get("amountRemaining"), "amountpaid": rec.get("amountPaid"),
           "applied": rec.get("applied"), "unapplied": rec.get("unapplied"),
           "createdfrom": rec.get("createdFrom"), "memo": rec.get("memo"),
           "otherrefnum": rec.get("otherRefNum"), "terms": rec.get("terms"),
           "custbody_ava_doc_code": rec.get("custbody_ava_doc_code"),
           "postingperiod": period_id(rec["postingPeriod"]) if rec.get("postingPeriod") else None,
           "createddate": rec.get("createdDate"), "lastmodifieddate": rec.get("lastModifiedDate"),
           "currency": rec.get("currency")}
    for k, v in rec.items():
        if k.startswith("cust") and "_" in k:
            row[k.lower()] = v
    row["_df"] = {"type": label, "entity": _customer_name(state, entity),
                  "status": f"{label} : {STATUS.get(rtype, {}).get(st, st)}" if st else None,
                  "terms": TERMS.get(rec.get("terms"), (None,))[0],
                  "createdfrom": state_tran(state, rec.get("createdFrom")),
                  "postingperiod": period_name(rec["postingPeriod"]) if rec.get("postingPeriod") else None}
    return [row]


def state_tran(state, rid):
    if rid is None:
        return None
    for recs in state.store.data["records"].values():
        if rid in recs:
            return recs[rid].get("tranId")
    return None


def transactionline_rows_of(state, rtype: str, rec: dict) -> list[dict]:
    rows = []
    for ln in rec.get("items", []):
        item = state.item_record(ln["item"])
        rows.append({"id": ln["line"], "transaction": rec["id"], "linesequencenumber": ln["line"],
                     "item": ln["item"], "quantity": ln["quantity"], "rate": ln["rate"],
                     "netamount": ln["amount"], "foreignamount": ln["amount"],
                     "custcol_ava_taxamount": ln["taxAmount"], "mainline": "F", "taxline": "F",
                     "isclosed": TF[bool(ln.get("isClosed"))], "orderline": ln.get("orderLine"),
                     "_df": {"item": item["itemId"], "transaction": rec.get("tranId")}})
    for ln in rec.get("lines", []) if rtype == "journalEntry" else []:
        rows.append({"id": ln["line"], "transaction": rec["id"], "linesequencenumber": ln["line"],
                     "account": ln["account"], "debit": ln["debit"] or None,
                     "credit": ln["credit"] or None, "entity": ln["entity"], "memo": ln["memo"],
                     "mainline": "F", "taxline": "F",
                     "_df": {"account": ln["accountName"], "transaction": rec.get("tranId")}})
    return rows


def customer_rows(state) -> list[dict]:
    return [{"id": c["id"], "entityid": c.get("entityId"), "companyname": c.get("companyName"),
             "externalid": c.get("externalId"), "email": c.get("email"), "terms": c.get("terms"),
             "isinactive": TF[bool(c.get("isInactive"))], "datecreated": c.get("createdDate"),
             "lastmodifieddate": c.get("lastModifiedDate"),
             "_df": {"terms": TERMS.get(c.get("terms"), (None,))[0]}}
            for c in state.records("customer").values()]


def item_rows(state) -> list[dict]:
    rows = []
    for rtype, code in ITEM_CODES.items():
        for it in state.records(rtype).values():
            rows.append({"id": it["id"], "itemid": it["itemId"], "displayname": it["displayName"],
                         "externalid": it["externalId"], "itemtype": code, "baseprice": it["basePrice"],
                         "custitem_ssp": it["custitem_ssp"], "custitem_ava_taxcode": it["custitem_ava_taxcode"],
                         "revenuerecognitionrule": it["revenueRecognitionRule"],
                         "isinactive": "F", "lastmodifieddate": it.get("lastModifiedDate"),
                         "_df": {"revenuerecognitionrule": REV_RULES[it["revenueRecognitionRule"]][0]}})
    return rows


def element_row(state, rtype: str, e: dict) -> list[dict]:
    return [{"id": e["id"], "revenuearrangement": e["revenueArrangement"], "source": e["source"],
             "sourcetransaction": e["source"], "item": e["item"], "quantity": e["quantity"],
             "salesamount": e["salesAmount"], "fairvalue": e["fairValue"], "revenueamount": e["allocationAmount"],
             "allocationamount": e["allocationAmount"], "revenuerecognitionrule": e["revenueRecognitionRule"],
             "revrecstartdate": e["revRecStartDate"], "revrecenddate": e["revRecEndDate"],
             "entity": e["entity"], "revenueplan": e["revenuePlan"], "lastmodifieddate": e.get("lastModifiedDate"),
             "_df": {"item": state.item_record(e["item"])["itemId"],
                     "revenuerecognitionrule": REV_RULES[e["revenueRecognitionRule"]][0],
                     "source": state_tran(state, e["source"]),
                     "revenuearrangement": state_tran(state, e["revenueArrangement"])}}]


def plan_row(state, rtype: str, p: dict) -> list[dict]:
    return [{"id": p["id"], "recordnumber": f"RP{p['id']}", "createdfrom": p["createdFrom"],
             "revenueplantype": p["revenuePlanType"], "amount": p["amount"], "status": p["status"],
             "revrecstartdate": p["revRecStartDate"], "revrecenddate": p["revRecEndDate"],
             "version": p["version"], "lastmodifieddate": p.get("lastModifiedDate"), "_df": {}}]


def planned_revenue_rows_of(state, rtype: str, p: dict) -> list[dict]:
    return [{"id": ln["id"], "revenueplan": p["id"], "plannedperiod": period_id(ln["period"]),
             "postingperiod": period_id(ln["period"]) if ln["recognized"] else None,
             "amount": ln["amount"], "isrecognized": TF[ln["recognized"]],
             "journal": ln["journalEntry"], "dateexecuted": ln["dateExecuted"], "linetype": ln["kind"],
             "_df": {"plannedperiod": period_name(ln["period"]),
                     "postingperiod": period_name(ln["period"]) if ln["recognized"] else None,
                     "journal": state_tran(state, ln["journalEntry"])}}
            for ln in p["lines"]]


def period_rows(state) -> list[dict]:
    known = set(state.store.data["periods"])
    for p in state.records("revenuePlan").values():
        known.update(ln["period"] for ln in p["lines"])
    rows = []
    for per in sorted(known):
        start, end = period_bounds(per)
        info = state.store.data["periods"].get(per, {})
        rows.append({"id": period_id(per), "periodname": period_name(per), "startdate": start, "enddate": end,
                     "closed": TF[bool(info.get("closed"))], "isquarter": "F", "isyear": "F", "_df": {}})
    return rows


# The tables whose rows come record by record (one or more rows per record of the given types): the
# mirror rebuilds only the rows of the records changed since it last looked (mirror.py)
PER_RECORD: dict[str, tuple[tuple[str, ...], Callable[[Any, str, dict], list[dict]]]] = {
    "transaction": (tuple(TYPE_CODES), transaction_row),
    "transactionline": (tuple(TYPE_CODES), transactionline_rows_of),
    "revenueelement": (("revenueElement",), element_row),
    "revenueplan": (("revenuePlan",), plan_row),
    "revenueplanplannedrevenue": (("revenuePlan",), planned_revenue_rows_of),
}


def _all_rows(name: str) -> Callable[[Any], list[dict]]:
    types, rows_of = PER_RECORD[name]
    return lambda state: [row for t in types for rec in state.records(t).values() for row in rows_of(state, t, rec)]


TABLES: dict[str, Callable[[Any], list[dict]]] = {
    **{name: _all_rows(name) for name in PER_RECORD},
    "customer": customer_rows, "item": item_rows, "accountingperiod": period_rows,
}
# Every table's columns even when it has no rows (rows add their custom fields, custbody_* ...)
COLUMNS: dict[str, tuple[str, ...]] = {
    "transaction": ("id", "tranid", "type", "recordtype", "entity", "trandate", "duedate", "status", "externalid",
                    "foreigntotal", "total", "taxtotal", "subtotal", "foreignamountremaining",
                    "foreignamountunpaid", "amountremaining", "amountpaid", "applied", "unapplied", "createdfrom",
                    "memo", "otherrefnum", "terms", "custbody_ava_doc_code", "postingperiod", "createddate",
                    "lastmodifieddate", "currency"),
    "transactionline": ("id", "transaction", "linesequencenumber", "item", "quantity", "rate", "netamount",
                        "foreignamount", "custcol_ava_taxamount", "mainline", "taxline", "isclosed", "orderline",
                        "account", "debit", "credit", "entity", "memo"),
    "customer": ("id", "entityid", "companyname", "externalid", "email", "terms", "isinactive", "datecreated",
                 "lastmodifieddate"),
    "item": ("id", "itemid", "displayname", "externalid", "itemtype", "baseprice", "custitem_ssp",
             "custitem_ava_taxcode", "revenuerecognitionrule", "isinactive", "lastmodifieddate"),
    "revenueelement": ("id", "revenuearrangement", "source", "sourcetransaction", "item", "quantity", "salesamount",
                       "fairvalue", "revenueamount", "allocationamount", "revenuerecognitionrule",
                       "revrecstartdate", "revrecenddate", "entity", "revenueplan", "lastmodifieddate"),
    "revenueplan": ("id", "recordnumber", "createdfrom", "revenueplantype", "amount", "status", "revrecstartdate",
                    "revrecenddate", "version", "lastmodifieddate"),
    "revenueplanplannedrevenue": ("id", "revenueplan", "plannedperiod", "postingperiod", "amount", "isrecognized",
                                  "journal", "dateexecuted", "linetype"),
    "accountingperiod": ("id", "periodname", "startdate", "enddate", "closed", "isquarter", "isyear"),
}
# Internal ids and references: stored as integers (so they sort and join as numbers), answered as
# strings, as NetSuite answers ids
ID_COLUMNS = frozenset({"id", "entity", "createdfrom", "transaction", "item", "revenueplan", "revenuearrangement",
                        "source", "sourcetransaction", "journal", "terms", "postingperiod", "plannedperiod",
                        "currency", "account", "orderline", "linesequencenumber", "revenuerecognitionrule",
                        "version", "subsidiary"})
# The date and timestamp columns: a string literal compared with one of them is read as a date
TEMPORAL_COLUMNS = frozenset({"trandate", "duedate", "createddate", "lastmodifieddate", "datecreated", "startdate",
                              "enddate", "revrecstartdate", "revrecenddate", "dateexecuted"})
