"""``POST /services/data/vXX.X/composite/batch``: up to 25 independent subrequests in one call
(REST API Developer Guide, "Batch"). Each subrequest runs through the whole lane on its own (not
all or none); with ``haltOnError`` the ones after the first failure are answered 412
``BATCH_PROCESSING_HALTED``. Subrequest URLs are relative to ``/services/data/``."""
from __future__ import annotations

from typing import Any

from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import body_json, json_answer
from .routes_composite import _json_or_none, subrequest

MAX_SUBREQUESTS = 25
HALTED = [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]


def register(lane: Lane, org) -> None:
    db = org.db

    def batch(req: LaneRequest, version: str):
        body = body_json(req)
        subs = body.get("batchRequests")
        if not isinstance(subs, list) or not subs or len(subs) > MAX_SUBREQUESTS:
            raise E.JsonParserError(f"batchRequests must hold between 1 and {MAX_SUBREQUESTS} subrequests")
        halt = bool(body.get("haltOnError"))
        auth = req.header("Authorization") or ""
        results: list[dict[str, Any]] = []
        failed = False
        for sub in subs:
            if not isinstance(sub, dict) or not sub.get("url") or not sub.get("method"):
                raise E.JsonParserError("Each batch subrequest needs a method and a url")
            if failed and halt:
                results.append({"statusCode": 412, "result": HALTED})
                continue
            url = "/services/data/" + str(sub["url"]).lstrip("/")
            mark = db.mark()
            status, headers, data = subrequest(lane, req, str(sub["method"]).upper(), url,
                                               {"Authorization": auth}, sub.get("richInput"), False)
            if status >= 400:
                db.rollback_to(mark)
                failed = True
            results.append({"statusCode": status, "result": _json_or_none(headers, data)})
        return json_answer({"hasErrors": failed, "results": results})

    lane.add("POST", "/services/data/v<version>/composite/batch", "composite.batch", batch)
