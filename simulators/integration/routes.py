"""The reference integration's HTTP surface, on the same framework-free pipeline as the fakes.

- The receivers (``/webhooks/stripe``, ``/salesforce/outbound``) are a core lane (``core/lane.py``):
  the fault layer, the journal, JSON 404/405 answers for any other path. They are authenticated by
  what they carry (Stripe's signature, the Outbound Message's organization id), not by a header.
- ``/_integration/*`` is a control plane like ``/_sim`` (``core/control_routes.py``): loopback
  callers with the run's token only, because its settings say where credentials are sent.

Outbound Messages are SOAP from outside; they are parsed with defusedxml (no entity expansion,
no external references) and a malformed envelope is a SOAP fault, which Salesforce retries.
"""
from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..core.control import control_body
from ..core.control_routes import ControlRoutes, json_response
from ..core.errors import SimError
from ..core.jsonutil import dumps
from ..core.lane import Answer, Lane, LaneHooks, LaneRequest
from ..core.sim import Sim

if TYPE_CHECKING:
    from .app import Integration

JSON = ("Content-Type", "application/json")
XML = ("Content-Type", "text/xml; charset=utf-8")
ACK = (b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
       b'envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
       b"<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>")


class IntegrationError(SimError):
    def body(self):
        return {"error": self.message}


def soap_fault(code: str, message: str, status: int) -> Answer:
    """A SOAP 1.1 fault: Salesforce keeps an Outbound Message queued (and retries it) until it gets
    an Ack, so a refusal is a fault, never ``<Ack>true</Ack>``."""
    text = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/'
            f'soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:{code}</faultcode>'
            f'<faultstring>{text}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>')
    return status, [XML], body.encode()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(parent: Element, name: str) -> str | None:
    for child in parent:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return None


def read_notifications(body: bytes) -> tuple[str | None, list[str]]:
    """An Outbound Message's organization id and the ids of the records it names (one per
    ``Notification/sObject``, in order). ValueError when the envelope is not well-formed XML."""
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, UnicodeDecodeError) as exc:
        raise ValueError(f"the Outbound Message is not a well-formed SOAP envelope ({exc})") from None
    org, ids = None, []
    for el in root.iter():
        name = _local(el.tag) if isinstance(el.tag, str) else ""
        if name == "notifications" and org is None:
            org = _text(el, "OrganizationId")
        elif name == "sObject":
            record_id = _text(el, "Id")
            if record_id:
                ids.append(record_id)
    return org, ids


def render_error(exc: SimError) -> Answer:
    headers = [JSON] + list(exc.headers.items())
    return exc.status, headers, dumps(exc.body()).encode()


def lane(sim: Sim, integ: "Integration") -> Lane:
    def webhook(req: LaneRequest) -> Answer:
        status, text = integ.payments.receive_webhook(req.body(), req.header("Stripe-Signature"))
        return status, [JSON], dumps({"received": status == 200, "detail": text}).encode()

    def outbound(req: LaneRequest) -> Answer:
        try:
            org, ids = read_notifications(req.body())
        except ValueError as exc:
            return soap_fault("Client", str(exc), 400)
        status, detail = integ.on_notification(org, ids)
        if status != 200:
            return soap_fault("Client" if status == 400 else "Server", detail, status)
        return 200, [XML], ACK

    def not_found(req: LaneRequest) -> SimError:
        return IntegrationError(f"no endpoint {req.path}", status=404)

    def method_not_allowed(req: LaneRequest, allowed: tuple[str, ...]) -> SimError:
        return IntegrationError(f"{req.method} is not allowed on {req.path}", status=405,
                                headers={"Allow": ", ".join(allowed)})

    hooks = LaneHooks(begin=lambda req: None, authenticate=lambda req: None, params=lambda req: None,
                      dispatch=lambda req, handler: handler(req), render_error=render_error,
                      not_found=not_found, finish=lambda req, headers: None,
                      method_not_allowed=method_not_allowed)
    # every handler takes the integration's locks: worker threads, never the server's event loop
    out = Lane(sim, hooks, fallback=None, prefix="/", run_inline=False)
    out.add("POST", "/webhooks/stripe", "webhooks.stripe", webhook)
    out.add("POST", "/salesforce/outbound", "salesforce.outbound", outbound)
    return out


def control_table(integ: "Integration") -> ControlRoutes:
    """``/_integration``: the integration's own state and operations (gated like ``/_sim``)."""
    routes = ControlRoutes("/_integration")
    config = integ.config

    @routes.get("/status")
    def status():
        return json_response(integ.status())

    @routes.get("/dead-letters")
    def dead_letters():
        return json_response({"dead_letters": integ.store.data["dead"]})

    @routes.post("/dead-letters/retry")
    def retry_dead():
        return json_response({"resubmitted": integ.queue.retry_dead(control_body().get("id"))})

    @routes.get("/pending")
    def pending():
        return json_response({"pending": list(integ.store.data["pending"].values())})

    @routes.post("/config")
    def set_config():
        changes = control_body()
        if "control_token" in changes:
            return json_response({"error": "the body must be an object of settings (control_token is fixed "
                                           "for the run)"}, 400)
        try:
            config.update(changes)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        integ.connect()
        integ.billing.schedule()
        return json_response(config.public())

    @routes.post("/billing-run")
    def billing_run_now():
        """An operator's "bill now": run the billing run at once (whatever the mode)."""
        return json_response(integ.billing.submit(), 202)

    @routes.get("/billing-runs")
    def billing_runs():
        return json_response({"next_run": integ.billing.next_due, "runs": integ.store.data["billing_runs"]})

    @routes.post("/install")
    def do_install():
        return json_response(integ.install())

    return routes
