"""Vendor-specific control endpoints under ``/_sim/erp`` (loopback only, plain JSON).

- ``POST /_sim/erp/periods/close {"period": "2025-01"}``: close the period (and any earlier open
  period with plan lines); posts revenue recognition journal entries. Idempotent.
- ``GET  /_sim/erp/periods``: periods and their state.
- ``GET|POST /_sim/erp/periods/config {"autoClose": true, "lagDays": 3}``: close each month on the
  simulated clock, ``lagDays`` after it ends.
- ``GET|POST /_sim/erp/revenue/config {"delaySeconds": 10800}``: revenue arrangement creation delay.
- ``POST /_sim/erp/revenue/go-live {"salesOrder": "1001" | "eid:X", "date": "2025-03-01"}``.
- ``GET  /_sim/erp/revenue?invoice=ID|salesOrder=ID``: arrangement, elements and plans (for assertions).
- ``GET|POST /_sim/erp/subscriptions {url, events[, secret]}``, ``DELETE /_sim/erp/subscriptions/<id>``:
  the harness's event feed (not a NetSuite feature).
- ``GET  /_sim/erp/events``: the last 1000 events emitted.
"""
from __future__ import annotations


from ..core.control import control_body as _body
from ..core.errors import ControlError
from ..core.jsonutil import to_jsonable
from ..core.control_routes import ControlRoutes, control_request, json_response
from .errors import NetSuiteError
from .state.base import parse_date




def control_routes(state) -> ControlRoutes:
    bp = ControlRoutes("/_sim/erp")

    def resolve(rtype, key):
        try:
            return state.resolve(rtype, str(key))
        except NetSuiteError:
            raise ControlError(f"no {rtype} {key}", 404)

    @bp.post("/periods/close")
    def close():
        period = _body().get("period")
        if not period:
            raise ControlError("period is required, e.g. {\"period\": \"2025-01\"}")
        return json_response(to_jsonable(state.revenue.close_period(str(period))))

    @bp.get("/periods")
    def periods():
        return json_response(to_jsonable(state.store.data["periods"]))

    @bp.route("/periods/config", methods=["GET", "POST"])
    def period_config():
        if control_request().method == "POST":
            b = _body()
            state.settings["auto_close"] = {"lagDays": int(b.get("lagDays", 0))} if b.get("autoClose") else None
            state.revenue.schedule_auto_close()
        cfg = state.settings.get("auto_close")
        return json_response({"autoClose": bool(cfg), "lagDays": (cfg or {}).get("lagDays", 0)})

    @bp.route("/revenue/config", methods=["GET", "POST"])
    def revenue_config():
        if control_request().method == "POST":
            state.settings["revenue_delay"] = float(_body().get("delaySeconds", 0))
        return json_response({"delaySeconds": float(state.settings.get("revenue_delay", 0) or 0)})

    @bp.post("/revenue/go-live")
    def go_live():
        b = _body()
        so = resolve("salesOrder", b.get("salesOrder"))
        if not b.get("date"):
            raise ControlError("date is required")
        when = parse_date(b["date"], "date")
        with state.store.lock:
            so["custbody_go_live_date"] = when
            state.stamp(so)
            released = state.revenue.go_live(so, when)
        return json_response({"salesOrder": so["id"], "released": released})

    @bp.get("/revenue")
    def revenue():
        inv_ids = []
        if control_request().args.get("invoice"):
            inv_ids = [resolve("invoice", control_request().args["invoice"])["id"]]
        elif control_request().args.get("salesOrder"):
            inv_ids = list(resolve("salesOrder", control_request().args["salesOrder"])["invoices"])
        else:
            inv_ids = list(state.records("invoice"))
        out = []
        with state.store.lock:
            for iid in inv_ids:
                arr = state.revenue.arrangement_for(iid)
                if arr is None:
                    continue
                els = []
                for eid in arr["elements"]:
                    el = dict(state.records("revenueElement")[eid])
                    el["itemId"] = state.item_record(el["item"])["itemId"]
                    el["plan"] = state.records("revenuePlan")[el["revenuePlan"]]
                    els.append(el)
                out.append({**arr, "elements": els})
        return json_response(to_jsonable({"arrangements": out}))

    @bp.get("/subscriptions")
    def subs():
        return json_response(to_jsonable({"subscriptions": [
            {k: v for k, v in s.items() if k != "secret"} for s in state.store.data["subscriptions"].values()]}))

    @bp.post("/subscriptions")
    def subscribe():
        return json_response(to_jsonable(state.events.subscribe(_body())), 201)

    @bp.delete("/subscriptions/<sid>")
    def unsubscribe(sid):
        if not state.events.unsubscribe(sid):
            raise ControlError(f"no subscription {sid}", 404)
        return json_response({"deleted": sid})

    @bp.get("/events")
    def events():
        return json_response(to_jsonable({"events": state.store.data.get("events", [])}))

    return bp
