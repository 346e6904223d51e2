"""The reference integration's HTTP surface on the core pipeline: JSON answers for unknown paths and
wrong methods, SOAP faults for Outbound Messages that are not well-formed (or that declare entities),
its receivers journaled and open to the fault layer, and ``/_integration`` gated like ``/_sim``."""
from __future__ import annotations

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from simulators.integration.routes import read_notifications
from simulators.registry import create

TOKEN = "t0ken-for-this-run"
ENVELOPE = (b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/'
            b'soap/envelope/"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
            b'<OrganizationId>00D5g000004ABCDEAA</OrganizationId>'
            b'<Notification><Id>04l1</Id><sObject xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            b'<sf:Id>8015g000000AAAAAAA</sf:Id></sObject></Notification>'
            b'<Notification><Id>04l2</Id><sObject xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            b'<sf:Status>Activated</sf:Status><sf:Id>8015g000000BBBBAAA</sf:Id></sObject></Notification>'
            b'</notifications></soapenv:Body></soapenv:Envelope>')


class LoopbackClient(Client):
    """A caller on loopback, as every caller of the live server is."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("environ_base", {"REMOTE_ADDR": "127.0.0.1"})
        return super().open(*args, **kwargs)


@pytest.fixture
def client():
    app = create("integration")
    app.extensions["sim"].control_token = TOKEN
    return LoopbackClient(app, Response)


def test_an_outbound_message_names_its_org_and_records_in_order():
    assert read_notifications(ENVELOPE) == ("00D5g000004ABCDEAA", ["8015g000000AAAAAAA", "8015g000000BBBBAAA"])


@pytest.mark.parametrize("body", [b"", b"<not xml", b"\xff\xfe<a/>", ENVELOPE[:-20],
                                  b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'])
def test_a_malformed_or_entity_declaring_message_is_a_client_soap_fault(client, body):
    resp = client.post("/salesforce/outbound", data=body, headers={"Content-Type": "text/xml"})
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("text/xml")
    assert b"<faultcode>soapenv:Client</faultcode>" in resp.data and b"Ack" not in resp.data


def test_unknown_paths_and_wrong_methods_answer_json(client):
    missing = client.get("/nothing/here")
    assert missing.status_code == 404 and "error" in missing.get_json()
    wrong = client.get("/webhooks/stripe")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST" and "error" in wrong.get_json()


def test_an_unsigned_webhook_is_refused_and_journaled(client):
    resp = client.post("/webhooks/stripe", data=b"{}", headers={"Content-Type": "application/json"})
    assert resp.status_code in (400, 503) and resp.get_json()["received"] is False
    journal = client.get("/_sim/journal", headers={"X-Sim-Token": TOKEN}).get_json()
    assert [(e["operation"], e["status"]) for e in journal["entries"]][-1] == ("webhooks.stripe", resp.status_code)


def test_the_fault_layer_reaches_the_receivers(client):
    added = client.post("/_sim/faults", json={"operation": "salesforce.outbound",
                                              "error": {"status": 503, "message": "down for maintenance"}},
                        headers={"X-Sim-Token": TOKEN})
    assert added.status_code in (200, 201), added.get_json()
    resp = client.post("/salesforce/outbound", data=ENVELOPE, headers={"Content-Type": "text/xml"})
    assert resp.status_code == 503 and resp.get_json() == {"error": "down for maintenance"}


def test_the_integration_plane_is_gated_like_the_control_plane(client):
    assert client.get("/_integration/status").status_code == 403
    assert client.get("/_integration/status", headers={"X-Sim-Token": TOKEN}).status_code == 200
    refused = client.post("/_integration/config", data=b"[1]", headers={"X-Sim-Token": TOKEN})
    assert refused.status_code == 400
