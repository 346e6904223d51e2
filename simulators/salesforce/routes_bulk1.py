"""Bulk API 1.0, JSON and CSV content types: ``/services/async/XX.X/job/...`` (what ``simple-salesforce``'s
``sf.bulk`` calls, authenticated with ``X-SFDC-Session``). Parsing and shaping only; jobs,
batches and results live in ``state/bulk1.py``. Served by the core lane."""
from __future__ import annotations

from simulators.core.jsonutil import BadJson, loads
from simulators.core.lane import Lane, LaneRequest

from .http import json_answer, raw_answer
from .state.bulk1 import _err, csv_results, csv_rows

ASYNC_NS = "http://www.force.com/2009/06/asyncapi/dataload"
P = "/services/async/<version>/job"


def register(lane: Lane, org) -> None:
    bulk = org.bulk1

    def body(req: LaneRequest):
        try:
            data = loads(req.body() or b"{}")
        except BadJson as exc:
            raise _err("InvalidRequest", f"The request body is not valid JSON: {exc}") from None
        return data

    def create(req: LaneRequest, version: str):
        data = body(req)
        if not isinstance(data, dict):
            raise _err("InvalidJob", "A job is a JSON object")
        return json_answer(bulk.view(bulk.create_job(version, data)), 201)

    def job(req: LaneRequest, version: str, job_id: str):
        return json_answer(bulk.view(bulk.job(job_id)))

    def close(req: LaneRequest, version: str, job_id: str):
        data = body(req)
        return json_answer(bulk.view(bulk.set_state(job_id, str((data or {}).get("state")))))

    def add_batch(req: LaneRequest, version: str, job_id: str):
        info = bulk.job(job_id)
        raw = req.body()
        if info["operation"] in ("query", "queryAll") or info["contentType"] == "CSV":
            data = raw.decode("utf-8", "replace")   # the SOQL text, or the CSV records, is the batch
        else:
            data = body(req)
        return json_answer(bulk.view(bulk.add_batch(job_id, data)), 201)

    def batches(req: LaneRequest, version: str, job_id: str):
        return json_answer({"batchInfo": [bulk.view(b) for b in bulk.batches(job_id)]})

    def batch(req: LaneRequest, version: str, job_id: str, batch_id: str):
        return json_answer(bulk.view(bulk.batch(job_id, batch_id)))

    def results(req: LaneRequest, version: str, job_id: str, batch_id: str):
        out, job = bulk.results(job_id, batch_id), bulk.job(job_id)
        if job["contentType"] != "CSV":
            return json_answer(out)
        if job["operation"] in ("query", "queryAll"):   # a CSV query job lists its result sets in XML
            items = "".join(f"<result>{rid}</result>" for rid in out)
            return raw_answer(f'<?xml version="1.0" encoding="UTF-8"?><result-list xmlns="{ASYNC_NS}">{items}'
                              "</result-list>", 200, "application/xml")
        return raw_answer(csv_results(out), 200, "text/csv")

    def result_set(req: LaneRequest, version: str, job_id: str, batch_id: str, result_id: str):
        rows = bulk.result_set(job_id, batch_id, result_id)
        if bulk.job(job_id)["contentType"] == "CSV":
            return raw_answer(csv_rows(rows), 200, "text/csv")
        return json_answer(rows)

    def request(req: LaneRequest, version: str, job_id: str, batch_id: str):
        return json_answer(bulk.request(job_id, batch_id))

    for method, rule, endpoint, handler in (
        ("POST", P, "bulk1.job.create", create),
        ("GET", f"{P}/<job_id>", "bulk1.job", job),
        ("POST", f"{P}/<job_id>", "bulk1.job.state", close),
        ("POST", f"{P}/<job_id>/batch", "bulk1.batch.create", add_batch),
        ("GET", f"{P}/<job_id>/batch", "bulk1.batch.list", batches),
        ("GET", f"{P}/<job_id>/batch/<batch_id>", "bulk1.batch", batch),
        ("GET", f"{P}/<job_id>/batch/<batch_id>/result", "bulk1.batch.results", results),
        ("GET", f"{P}/<job_id>/batch/<batch_id>/result/<result_id>", "bulk1.batch.result_set", result_set),
        ("GET", f"{P}/<job_id>/batch/<batch_id>/request", "bulk1.batch.request", request),
    ):
        lane.add(method, rule, endpoint, handler)
