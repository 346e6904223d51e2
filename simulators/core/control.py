"""The control plane ``/_sim/*``, the same on every fake; described in ``control_openapi.yaml``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, request

from .clock import iso, parse_duration, parse_instant
from .errors import ControlError

OPENAPI_PATH = Path(__file__).with_name("control_openapi.yaml")
_openapi_cache: dict[str, Any] = {}


def openapi() -> dict[str, Any]:
    if not _openapi_cache:
        _openapi_cache.update(yaml.safe_load(OPENAPI_PATH.read_text()))
    return _openapi_cache


def control_body() -> dict[str, Any]:
    """The JSON object body of a control request (empty when absent); anything else is a 400."""
    data = request.get_json(silent=True)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    return data


def clock_view(sim) -> dict[str, Any]:
    clock = sim.clock
    pending = clock.pending()
    return {
        "now": iso(clock.now()), **clock.anchor(),
        "next_due": iso(pending[0].due) if pending else None,
        "pending_jobs": len(pending),
        "jobs": [j.describe() for j in pending[:50]],
    }


def control_blueprint(sim) -> Blueprint:
    from .sim import json_response

    bp = Blueprint(f"_sim_{sim.name}", __name__, url_prefix="/_sim")

    @bp.get("/health")
    def health():
        return json_response({"simulator": sim.name, "ok": True, "now": iso(sim.now())})

    @bp.get("/openapi.json")
    def spec():
        return json_response(openapi())

    @bp.post("/reset")
    def reset():
        sim.reset()
        return json_response({"simulator": sim.name, "reset": True, "now": iso(sim.now())})

    @bp.post("/seed")
    def seed():
        body = control_body()
        if "seed" not in body:
            raise ControlError("seed is required")
        sim.reseed(body["seed"])
        return json_response({"simulator": sim.name, "seed": body["seed"]})

    @bp.get("/clock")
    def clock_get():
        return json_response(clock_view(sim))

    @bp.post("/clock")
    def clock_set():
        body = control_body()
        when = parse_instant(body["now"]) if body.get("now") else None
        if when and when < sim.clock.now() and not body.get("force"):
            raise ControlError("the clock does not go backwards; pass force: true after a reset")
        try:
            sim.clock.set(when, mode=body.get("mode"), rate=body.get("rate"),
                          wall_anchor=body.get("wall_anchor"))
        except ValueError as exc:
            raise ControlError(str(exc)) from exc
        return json_response(clock_view(sim))

    @bp.post("/clock/advance")
    def clock_advance():
        body = control_body()
        try:
            if body.get("to"):
                ran = sim.clock.advance_to(parse_instant(body["to"]))
            else:
                ran = sim.clock.advance(body.get("duration", 0))
        except ValueError as exc:
            raise ControlError(str(exc)) from exc
        return json_response({**clock_view(sim), "jobs_run": ran})

    @bp.post("/clock/settle")
    def clock_settle():
        ran = sim.clock.run_due()
        return json_response({**clock_view(sim), "jobs_run": ran})

    @bp.get("/faults")
    def faults_list():
        return json_response({"rules": sim.faults.rules(), "profile": sim.faults.profile,
                              "profiles": sorted(sim.faults.profiles)})

    @bp.post("/faults")
    def faults_add():
        rule = sim.faults.add(control_body())
        return json_response(rule.to_dict(), 201)

    @bp.delete("/faults")
    def faults_clear():
        return json_response({"cleared": sim.faults.clear()})

    @bp.delete("/faults/<rule_id>")
    def faults_remove(rule_id: str):
        n = sim.faults.clear(rule_id)
        if not n:
            raise ControlError(f"no fault {rule_id}", 404)
        return json_response({"cleared": n})

    @bp.post("/faults/profile")
    def faults_profile():
        sim.faults.set_profile(control_body().get("name"))
        return json_response({"profile": sim.faults.profile})

    @bp.get("/limits")
    def limits_get():
        return json_response(sim.limits.view())

    @bp.post("/limits")
    def limits_set():
        return json_response(sim.limits.configure(control_body()))

    @bp.get("/journal")
    def journal():
        limit = request.args.get("limit", type=int)
        return json_response({"total": sim.journal.total, "capacity": sim.journal.maxlen,
                              "entries": sim.journal.entries(request.args.get("operation"), limit)})

    @bp.get("/outbox")
    def outbox():
        status = request.args.get("status")
        items = [d.summary() for box in sim.outboxes for d in box.deliveries(status=status)]
        jobs = [j.describe() for j in sim.clock.pending(owner=sim.name)]
        return json_response({"deliveries": items, "scheduled_jobs": jobs})

    @bp.post("/outbox/deliver")
    def outbox_deliver():
        n = sum(box.deliver_now() for box in sim.outboxes)
        sim.clock.run_due()
        return json_response({"attempted": n})

    @bp.get("/state")
    def state():
        return json_response({"simulator": sim.name, "snapshots": sim.stores[0].snapshots() if sim.stores else [],
                              "state": [s.dump() for s in sim.stores]})

    @bp.post("/state/snapshot")
    def snapshot():
        name = control_body().get("name") or "default"
        for s in sim.stores:
            s.snapshot(name)
        return json_response({"snapshot": name})

    @bp.post("/state/restore")
    def restore():
        name = control_body().get("name") or "default"
        try:
            for s in sim.stores:
                s.restore(name)
        except KeyError:
            raise ControlError(f"no snapshot named {name!r}", 404)
        return json_response({"restored": name})

    @bp.get("/violations")
    def violations():
        return json_response({"mode": sim.validator.mode, "by_caller": sim.validator.violations()})

    @bp.delete("/violations")
    def violations_clear():
        sim.validator.clear()
        return json_response({"cleared": True})

    @bp.get("/validation")
    def validation_get():
        return json_response({"mode": sim.validator.mode, "operations": sim.validator.operations()})

    @bp.post("/validation")
    def validation_set():
        try:
            sim.validator.set_mode(control_body().get("mode", ""))
        except ValueError as exc:
            raise ControlError(str(exc)) from exc
        return json_response({"mode": sim.validator.mode})

    return bp
