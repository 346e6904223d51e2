"""Outbound Messages sent by a record-triggered flow: when an Order's Status becomes Activated
(or Cancelled), every active outbound message configured for Order posts a SOAP ``notifications``
envelope to its endpoint URL.

Wire facts (developer.salesforce.com sforce_api_om_outboundmessaging_*): the body is a SOAP 1.1
envelope with ``notifications`` in namespace ``http://soap.sforce.com/2005/09/outbound``
(OrganizationId, ActionId, SessionId, EnterpriseUrl, PartnerUrl, then up to 100 ``Notification``
elements with an ``Id`` and the ``sObject`` with the selected fields). The listener must answer
``<notificationsResponse><Ack>true</Ack></notificationsResponse>``; anything else (a non-2xx
status, a 2xx without the ack) is a failure, retried with back-off for up to 24 hours
(at-least-once, possibly out of order). The retry schedule here: 1, 2, 4, 8, 16, 32, 64 minutes,
then every 2 hours until 24 hours after the first attempt.

The endpoint is setup metadata in a real org; here it is configured through
``/_sim/salesforce/outbound-messages``.
"""
from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

import requests

from simulators.core.ids import sf_id18

from .auth import ORG_ID
from .values import to_json

NS = "http://soap.sforce.com/2005/09/outbound"
RETRY_SCHEDULE = [60 * m for m in (1, 2, 4, 8, 16, 32, 64)] + [7200] * 10
ACK_RE = re.compile(rb"<(?:\w+:)?Ack>\s*true\s*</(?:\w+:)?Ack>", re.IGNORECASE)
DEFAULT_FIELDS = ["Id", "AccountId", "Status", "StatusCode", "OrderNumber", "Order_Key__c", "TotalAmount",
                  "EffectiveDate", "Pricebook2Id", "ActivatedDate", "LastModifiedDate"]


def ack_transport(url: str, body: bytes, headers: dict[str, str], timeout: float):
    """POST the envelope; success only with a 2xx *and* ``<Ack>true</Ack>`` in the reply."""
    try:
        resp = requests.post(url, data=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return None, 0.0, type(exc).__name__
    ms = resp.elapsed.total_seconds() * 1000
    if 200 <= resp.status_code < 300 and not ACK_RE.search(resp.content or b""):
        return None, ms, f"HTTP {resp.status_code} without <Ack>true</Ack>"
    return resp.status_code, ms, None


def soap_headers(body: bytes, now, endpoint: dict[str, Any]) -> dict[str, str]:
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""',
            "User-Agent": "Salesforce - OutboundMessaging"}


class OutboundMessages:
    def __init__(self, org):
        self.org = org
        self.outbox = org.sim.outbox(signer=soap_headers, transport=ack_transport)

    @property
    def config(self) -> list[dict[str, Any]]:
        return self.org.store.data["outbound"]

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        from simulators.core.errors import ControlError
        url = spec.get("url") or spec.get("endpoint_url")
        if not url or not str(url).startswith(("http://", "https://")):
            raise ControlError("url is required (http:// or https://)")
        obj = self.org.registry.get(spec.get("object", "Order"))
        if obj is None:
            raise ControlError(f"unknown object {spec.get('object')!r}")
        fields = spec.get("fields") or (DEFAULT_FIELDS if obj.name == "Order" else ["Id"])
        bad = [f for f in fields if obj.field(f) is None]
        if bad:
            raise ControlError(f"unknown fields on {obj.name}: {bad}")
        n = self.org.sim.ids.counter("sf:04k")
        item = {"id": sf_id18(f"04k5g{n:010d}"), "name": spec.get("name") or f"{obj.name}_Notification_{n}",
                "object": obj.name, "url": url, "fields": [obj.field(f).name for f in fields],
                "field": spec.get("field", "Status"), "values": list(spec.get("values") or ["Activated", "Cancelled"]),
                "include_session_id": bool(spec.get("include_session_id", False)), "active": spec.get("active", True)}
        self.config.append(item)
        return item

    def remove(self, om_id: str | None = None) -> int:
        before = len(self.config)
        self.config[:] = [c for c in self.config if om_id is not None and c["id"] != om_id]
        return before - len(self.config)

    # ---- the record-triggered flow ------------------------------------------------------
    def on_change(self, ch) -> None:
        if ch.kind not in ("UPDATE", "CREATE"):
            return
        for om in self.config:
            if not om["active"] or om["object"] != ch.sobject:
                continue
            f = om["field"]
            new_value = (ch.new or {}).get(f)
            old_value = (ch.old or {}).get(f)
            if new_value == old_value or new_value not in om["values"]:
                continue
            self.send(om, [ch.new], ch.base_url)

    def send(self, om: dict[str, Any], records: list[dict[str, Any]], base_url: str | None = None) -> Any:
        base = base_url or self.org.base_url()
        notifications = []
        for rec in records[:100]:
            nid = sf_id18(f"04l5g{self.org.sim.ids.counter('sf:04l'):010d}")
            fields = "".join(f"<sf:{name}>{escape(_xml_value(rec.get(name)))}</sf:{name}>"
                             if rec.get(name) is not None else f'<sf:{name} xsi:nil="true"/>'
                             for name in om["fields"])
            notifications.append(
                f"<Notification><Id>{nid}</Id><sObject xsi:type=\"sf:{om['object']}\" "
                f"xmlns:sf=\"urn:sobject.enterprise.soap.sforce.com\">{fields}</sObject></Notification>")
        session = '<SessionId xsi:nil="true"/>'
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<soapenv:Body><notifications xmlns="{NS}">'
            f"<OrganizationId>{ORG_ID}</OrganizationId><ActionId>{om['id']}</ActionId>{session}"
            f"<EnterpriseUrl>{base}/services/Soap/c/59.0/{ORG_ID[:15]}</EnterpriseUrl>"
            f"<PartnerUrl>{base}/services/Soap/u/59.0/{ORG_ID[:15]}</PartnerUrl>"
            + "".join(notifications) + "</notifications></soapenv:Body></soapenv:Envelope>").encode()
        event_id = records[0]["Id"] if records else ""
        return self.outbox.enqueue({"id": om["id"], "url": om["url"]}, body, event_id=event_id,
                                   event_type=f"{om['object']}.{(records[0] or {}).get(om['field'])}",
                                   schedule=RETRY_SCHEDULE)

    def deliveries(self) -> list[dict[str, Any]]:
        return [d.summary() for d in self.outbox.deliveries()]


def _xml_value(v: Any) -> str:
    out = to_json(v)
    if isinstance(out, bool):
        return "true" if out else "false"
    if isinstance(v, __import__("datetime").datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    return str(out)
