"""Bulk API 2.0: ``/services/data/vXX.X/jobs/ingest`` and ``/jobs/query`` (what ``simple-salesforce``'s
``sf.bulk2`` calls). Parsing and shaping only; jobs, processing and results live in
``state/bulk2.py``. Served by the core lane: each handler takes the lane request and the URL's
variables and returns ``(status, headers, body)``."""
from __future__ import annotations

from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import args, body_json, empty, json_answer, raw_answer

P = "/services/data/v<version>/jobs"
CSV = "text/csv"


def register(lane: Lane, org) -> None:
    bulk = org.bulk2

    def create(kind: str):
        def handler(req: LaneRequest, version: str):
            body = body_json(req)
            job = bulk.create_ingest(version, body) if kind == "ingest" else bulk.create_query(version, body)
            return json_answer(bulk.view(job))
        return handler

    def listing(kind: str):
        def handler(req: LaneRequest, version: str):
            return json_answer(bulk.list(kind, args(req).get("jobType")))
        return handler

    def info(kind: str):
        def handler(req: LaneRequest, version: str, job_id: str):
            return json_answer(bulk.view(bulk.job(job_id, kind)))
        return handler

    def patch(kind: str):
        def handler(req: LaneRequest, version: str, job_id: str):
            state = body_json(req).get("state")
            return json_answer(bulk.view(bulk.set_state(job_id, kind, str(state))))
        return handler

    def delete(kind: str):
        def handler(req: LaneRequest, version: str, job_id: str):
            bulk.delete(job_id, kind)
            return empty(204)
        return handler

    def upload(req: LaneRequest, version: str, job_id: str):
        ctype = (req.header("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != CSV:
            raise E.http_error(415, _Problem(req.header("Content-Type") or ""))
        bulk.upload(job_id, req.body())
        return empty(201)

    def results(which: str):
        def handler(req: LaneRequest, version: str, job_id: str):
            return raw_answer(bulk.ingest_results(job_id, which), 200, CSV)
        return handler

    def query_results(req: LaneRequest, version: str, job_id: str):
        a = args(req)
        try:
            max_records = int(a["maxRecords"]) if a.get("maxRecords") else None
        except ValueError:
            raise E.SalesforceError(f"Invalid maxRecords: {a['maxRecords']}", code="INVALID_FIELD") from None
        text, locator, count = bulk.query_page(job_id, a.get("locator"), max_records)
        return raw_answer(text, 200, CSV, {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(count)})

    for method, rule, endpoint, handler in (
        ("POST", f"{P}/ingest", "bulk2.ingest.create", create("ingest")),
        ("GET", f"{P}/ingest", "bulk2.ingest.list", listing("ingest")),
        ("GET", f"{P}/ingest/<job_id>", "bulk2.ingest.job", info("ingest")),
        ("PATCH", f"{P}/ingest/<job_id>", "bulk2.ingest.job", patch("ingest")),
        ("DELETE", f"{P}/ingest/<job_id>", "bulk2.ingest.job", delete("ingest")),
        ("PUT", f"{P}/ingest/<job_id>/batches", "bulk2.ingest.upload", upload),
        ("GET", f"{P}/ingest/<job_id>/successfulResults", "bulk2.ingest.results", results("successfulResults")),
        ("GET", f"{P}/ingest/<job_id>/failedResults", "bulk2.ingest.results", results("failedResults")),
        ("GET", f"{P}/ingest/<job_id>/unprocessedrecords", "bulk2.ingest.results", results("unprocessedrecords")),
        ("POST", f"{P}/query", "bulk2.query.create", create("query")),
        ("GET", f"{P}/query", "bulk2.query.list", listing("query")),
        ("GET", f"{P}/query/<job_id>", "bulk2.query.job", info("query")),
        ("PATCH", f"{P}/query/<job_id>", "bulk2.query.job", patch("query")),
        ("DELETE", f"{P}/query/<job_id>", "bulk2.query.job", delete("query")),
        ("GET", f"{P}/query/<job_id>/results", "bulk2.query.results", query_results),
    ):
        lane.add(method, rule, endpoint, handler)


class _Problem:
    def __init__(self, content_type: str):
        self.content_type = content_type
