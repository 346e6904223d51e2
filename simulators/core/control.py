"""The control plane ``/_sim/*``, the same on every fake; described in ``control_openapi.yaml``.

Who may call it and what it accepts is decided before any handler runs (``control_routes.ControlPlane``):
loopback callers only, the run's token when one is set, and a body valid against the operation's
schema. Handlers then read the already-checked body with ``control_body``. No web framework: the
routes are ``ControlRoutes`` tables.
"""
from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

from .clock import iso, parse_instant
from .control_routes import ControlPlane, ControlRoutes, control_request, json_response
from .control_schema import OPENAPI_PATH, body_validator, check, openapi, strict_json  # noqa: F401
from .errors import ControlError


def control_body() -> dict[str, Any]:
    """The JSON object body of a control request (empty when absent); anything else is a 400.
    Strict JSON: NaN and Infinity are refused."""
    req = control_request()
    if req.parsed is None:
        req.parsed = strict_json(req.get_data())
    if not isinstance(req.parsed, dict):
        raise ControlError("the body must be a JSON object")
    return req.parsed


def validate_body(method: str, path: str, raw: bytes) -> Any:
    """Schema-check the body of a control request (400 before anything is applied); the parsed body."""
    if method not in ("POST", "PUT", "PATCH"):
        return None
    parsed = strict_json(raw)
    validator = body_validator(method, path)
    if validator is not None:
        check(validator, parsed)
    return parsed


def _instant(value: str) -> Any:
    try:
        return parse_instant(value)
    except (ValueError, TypeError) as exc:
        raise ControlError(f"not an ISO 8601 instant: {value!r}") from exc


# Keys whose values are credentials: never shown by ``/_sim/state`` (the journal records no bodies).
SECRET_KEYS = frozenset({"secret", "webhook_secret", "client_secret", "password", "sf_password", "token",
                         "sf_token", "access_token", "refresh_token", "session_id", "sessionid",
                         "license_key", "api_key", "stripe_key", "private_key", "control_token",
                         "consumer_secret", "token_secret", "sf_client_secret", "avalara_license",
                         "erp_consumer_secret", "erp_token_secret", "account_tokens", "sessions",
                         "security_token", "licenses", "passwords"})
REDACTED = "***"
# Secrets recognisable by their shape, wherever they occur (e.g. inside a cached response body).
SECRET_PATTERN = re.compile(r"(?:erp)?whsec_[A-Za-z0-9]{8,}|pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"
                            r"|00D[A-Za-z0-9]{12}![A-Za-z0-9._]{16,}")


def redact(value: Any) -> Any:
    """A copy of a state dump with every credential replaced by ``***``: values under secret keys,
    secret-shaped strings, and JSON documents kept as strings (cached responses) likewise."""
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and k.lower() in SECRET_KEYS and v not in (None, "")
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        if value[:1] in "{[":
            try:
                return json.dumps(redact(json.loads(value)))
            except ValueError:
                pass
        return SECRET_PATTERN.sub(REDACTED, value)
    return value


def clock_view(sim) -> dict[str, Any]:
    clock = sim.clock
    pending = clock.pending()
    return {
        "now": iso(clock.now()), **clock.anchor(),
        "next_due": iso(pending[0].due) if pending else None,
        "pending_jobs": len(pending),
        "jobs": [j.describe() for j in pending[:50]],
    }


def control_routes(sim) -> ControlRoutes:
    bp = ControlRoutes("/_sim")

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
        when = _instant(body["now"]) if body.get("now") else None
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
                ran = sim.clock.advance_to(_instant(body["to"]))
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

    @bp.get("/faults/catalog")
    def faults_catalog():
        return json_response(sim.fault_catalog())

    @bp.post("/faults")
    def faults_add():
        body = control_body()
        pattern = body.get("operation", "*")
        if isinstance(pattern, str) and not any(fnmatch.fnmatchcase(op, pattern) for op in sim.operations()):
            raise ControlError(f"operation {pattern!r} matches no operation of {sim.name}; "
                               f"GET /_sim/faults/catalog lists them (o2c faults operations --fake {sim.name})")
        rule = sim.faults.add(body)
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
        args = control_request().args
        limit = args.get("limit", type=int)
        return json_response({"total": sim.journal.total, "capacity": sim.journal.maxlen,
                              "entries": sim.journal.entries(args.get("operation"), limit)})

    @bp.get("/outbox")
    def outbox():
        status = control_request().args.get("status")
        items = [d.summary() for box in sim.outboxes for d in box.deliveries(status=status)]
        jobs = [j.describe() for j in sim.clock.pending(owner=sim.name)]
        return json_response({"deliveries": items, "scheduled_jobs": jobs,
                              "abandoned": sum(box.abandoned for box in sim.outboxes)})

    @bp.post("/outbox/deliver")
    def outbox_deliver():
        n = sum(box.deliver_now() for box in sim.outboxes)
        sim.clock.run_due()
        return json_response({"attempted": n})

    @bp.get("/state")
    def state():
        return json_response({"simulator": sim.name, "snapshots": sim.stores[0].snapshots() if sim.stores else [],
                              "state": [redact(s.dump()) for s in sim.stores]})

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
        return json_response({"mode": sim.validator.mode, "by_caller": sim.validator.violations(),
                              "dropped": sim.validator.dropped})

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


def mount(sim, app) -> ControlPlane:
    """The control plane in front of ``app`` (a WSGI callable): the common ``/_sim`` endpoints first,
    then the tables the vendor added to ``sim.control_tables``."""
    sim.control_tables.insert(0, control_routes(sim))
    return ControlPlane(sim, app, prefixes=tuple(sim.control_prefixes))
