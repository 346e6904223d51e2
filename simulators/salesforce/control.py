"""Salesforce-specific control endpoints under ``/_sim/salesforce`` (loopback only, like the rest
of ``/_sim``): outbound-message setup, the event bus, dunning, sessions, settings, and users and
profiles with field-level security."""
from __future__ import annotations

from typing import Any


from simulators.core.control import control_body as _body
from simulators.core.errors import ControlError
from simulators.core.jsonutil import to_jsonable
from simulators.core.control_routes import ControlRoutes, control_request, json_response

from .state import jwt_keys
from .state.auth import check_ranges
from .state.jwt_keys import checked_certificate


def register(sim, org) -> None:
    bp = ControlRoutes("/_sim/salesforce")

    # ---- outbound messages (setup metadata in a real org) -------------------------------
    @bp.get("/outbound-messages")
    def om_list():
        return json_response({"outbound_messages": org.outbound.config, "deliveries": org.outbound.deliveries()})

    @bp.post("/outbound-messages")
    def om_add():
        return json_response(org.outbound.add(_body()), 201)

    @bp.delete("/outbound-messages")
    def om_clear():
        return json_response({"removed": org.outbound.remove()})

    @bp.delete("/outbound-messages/<om_id>")
    def om_remove(om_id):
        n = org.outbound.remove(om_id)
        if not n:
            raise ControlError(f"no outbound message {om_id}", 404)
        return json_response({"removed": n})

    # ---- event bus ------------------------------------------------------------------------
    @bp.get("/eventbus")
    def bus_read():
        channel = control_request().args.get("channel")
        if not channel:
            return json_response({"latestReplayId": org.bus.latest(),
                                  "channels": sorted({e["channel"] for e in org.store.data["eventbus"]["events"]})})
        after = control_request().args.get("after", type=int)
        events = org.bus.read(channel, -1 if after is None else after, control_request().args.get("limit", 1000, type=int))
        return json_response({"channel": channel, "latestReplayId": org.bus.latest(), "events": to_jsonable(events)})

    @bp.get("/eventbus/faults")
    def bus_faults():
        return json_response({"rules": org.store.data["eventbus"]["faults"]})

    @bp.post("/eventbus/faults")
    def bus_fault_add():
        body = _body()
        if not (body.get("duplicate") or body.get("reorder")):
            raise ControlError("an event-bus fault needs duplicate: true or reorder: true")
        unknown = set(body) - {"channel", "duplicate", "reorder", "times"}
        if unknown:
            raise ControlError(f"unknown fields {sorted(unknown)}")
        rule = {"channel": body.get("channel", "*"), "duplicate": bool(body.get("duplicate")),
                "reorder": bool(body.get("reorder")), "times": body.get("times"), "hits": 0}
        org.store.data["eventbus"]["faults"].append(rule)
        return json_response(rule, 201)

    @bp.delete("/eventbus/faults")
    def bus_fault_clear():
        org.store.data["eventbus"]["faults"].clear()
        return json_response({"cleared": True, "released": org.bus.flush_held()})

    # ---- dunning ---------------------------------------------------------------------------
    @bp.get("/dunning/policy")
    def policy_get():
        return json_response(org.dunning.policy)

    @bp.put("/dunning/policy")
    def policy_put():
        return json_response(org.dunning.set_policy(_body()))

    @bp.post("/dunning/run")
    def dunning_run():
        return json_response(to_jsonable(org.dunning.run()))

    @bp.get("/dunning/runs")
    def dunning_runs():
        return json_response({"runs": to_jsonable(org.store.data["dunning"]["runs"])})

    # ---- sessions and settings ------------------------------------------------------------
    @bp.post("/sessions/expire")
    def sessions_expire():
        return json_response({"expired": org.sessions.expire_all()})

    @bp.get("/settings")
    def settings_get():
        return json_response(org.settings)

    @bp.post("/settings")
    def settings_set():
        body = _body()
        unknown = set(body) - set(org.settings)
        if unknown:
            raise ControlError(f"unknown settings {sorted(unknown)}; known: {sorted(org.settings)}")
        if body.get("jwt_certificate") is not None:
            checked_certificate(body["jwt_certificate"])
        if "trusted_ip_ranges" in body:
            try:
                body = {**body, "trusted_ip_ranges": check_ranges(body["trusted_ip_ranges"])}
            except ValueError as exc:
                raise ControlError(f"trusted_ip_ranges: {exc}")
        org.settings.update(body)
        return json_response(org.settings)

    # ---- users, profiles, field-level security (Setup in a real org) -------------------------
    @bp.get("/security")
    def security_get():
        return json_response(org.security.view())

    @bp.put("/security/profiles/<path:name>")
    def security_profile(name):
        return json_response(org.security.set_profile(name, _body()))

    @bp.put("/security/users/<path:username>")
    def security_user(username):
        return json_response(org.security.set_user(username, _body()))

    # ---- the connected app's JWT certificate (state/jwt_keys.py) -----------------------------
    @bp.get("/jwt-certificate")
    def jwt_certificate_get():
        registered = org.settings.get("jwt_certificate")
        pair = jwt_keys.default_pair()
        return json_response({"certificate": registered or pair["certificate"], "default": registered is None,
                              "private_key": None if registered else pair["private_key"]})

    @bp.put("/jwt-certificate")
    def jwt_certificate_put():
        unknown = set(_body()) - {"certificate"}
        if unknown:
            raise ControlError(f"unknown fields {sorted(unknown)}; the body is {{\"certificate\": \"<PEM>\"}}")
        org.settings["jwt_certificate"] = checked_certificate(_body().get("certificate"))
        return json_response({"certificate": org.settings["jwt_certificate"], "default": False, "private_key": None})

    @bp.delete("/jwt-certificate")
    def jwt_certificate_delete():
        org.settings["jwt_certificate"] = None
        return jwt_certificate_get()

    @bp.post("/api-usage")
    def api_usage():
        org.store.data["api_usage"] = int(_body().get("used", 0))
        return json_response({"used": org.store.data["api_usage"], "max": org.settings["api_daily_max"]})

    sim.control_tables.append(bp)
