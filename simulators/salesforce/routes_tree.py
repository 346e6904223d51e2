"""``POST /services/data/vXX.X/composite/tree/{sObject}``: nested records in one all-or-none
request (state/tree.py). Served by the core lane."""
from __future__ import annotations

from simulators.core.lane import Lane, LaneRequest

from .http import body_json, json_answer
from .state.tree import TreeInvalid, create_tree


def register(lane: Lane, org) -> None:
    def tree(req: LaneRequest, version: str, sobject: str):
        body = body_json(req)
        try:
            status, payload = create_tree(org, sobject, body.get("records"))
        except TreeInvalid as exc:
            return json_answer({"hasErrors": True, "results": [{"referenceId": exc.reference, "errors": [
                {"statusCode": exc.code, "message": exc.message, "fields": []}]}]}, 400)
        return json_answer(payload, status)

    lane.add("POST", "/services/data/v<version>/composite/tree/<sobject>", "composite.tree", tree)
