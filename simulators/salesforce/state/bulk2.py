"""Bulk API 2.0 of the fake org: ingest jobs (CSV insert, update, upsert, delete, hardDelete) and
query jobs (query, queryAll) with their states, results and locators. No web framework here;
``routes_bulk2.py`` parses requests and shapes answers.

Behaviour follows the Bulk API 2.0 and Bulk API Developer Guide (developer.salesforce.com,
api_asynch: "Create a Job", "Upload Job Data", "Close or Abort a Job", "Get Job Info",
"Get Job Successful/Failed/Unprocessed Record Results", "Get Results for a Query Job"):

- An ingest job is ``Open`` until the client sets ``UploadComplete`` (or ``Aborted``). Salesforce
  then processes it asynchronously: here the job stays ``UploadComplete`` for
  ``bulk_processing_seconds`` of *simulated* time (org setting, default 0), and is processed the
  first time it is read after that, all at once (``JobComplete``). A frozen clock therefore never
  stalls a polling client, and a test can hold a job ``UploadComplete`` by setting a delay.
- Each CSV row is its own DML statement (a savepoint): a failing row goes to ``failedResults``
  with ``sf__Error`` (``CODE:message:fields --``), the others are kept. Empty cells leave a field
  unchanged, ``#N/A`` sets it to null, ``Parent.ExternalId__c`` columns resolve a lookup by the
  parent's external id (or ``Parent.Id``).
- A query job runs the SOQL through the org's engine once; results are CSV pages of at most
  ``maxRecords`` rows, ``Sforce-Locator`` names the next page (``null`` on the last), and
  ``Sforce-NumberOfRecords`` counts the rows of the page. Parent fields are columns such as
  ``Account.Name``; subqueries and aggregate functions are refused, as Bulk API 2.0 refuses them.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from .. import errors as E
from .bulk_rows import apply_row, flat_table, lookup
from .values import sf_datetime

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPS = ("query", "queryAll")
MAX_UPLOAD_BYTES = 150 * 1024 * 1024   # "150 MB per upload" (Bulk API 2.0 limits; base64 aside)


class BulkError(E.SalesforceError):
    """Bulk API 2.0's errors use the REST shape ``[{"errorCode", "message"}]``."""

    def body(self) -> Any:
        return [{"errorCode": self.code, "message": self.message}]


def _err(code: str, status: int, message: str) -> BulkError:
    exc = BulkError(message)
    exc.code, exc.status = code, status
    return exc


def _factory() -> dict[str, Any]:
    return {"jobs": {}, "data": {}, "results": {}}


class Bulk2:
    def __init__(self, org):
        self.org = org
        self.store = org.sim.store(_factory)

    # ---- jobs ---------------------------------------------------------------------------------
    def _new(self, kind: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        delim = body.get("columnDelimiter") or "COMMA"
        ending = body.get("lineEnding") or "LF"
        if delim not in DELIMITERS:
            raise _err("INVALIDJOB", 400, f"Invalid column delimiter: {delim}")
        if ending not in ENDINGS:
            raise _err("INVALIDJOB", 400, f"Invalid line ending: {ending}")
        now = sf_datetime(self.org.sim.clock.now())
        job = {
            "id": self.org.sim.ids.salesforce("750"), "operation": body["operation"], "object": None,
            "createdById": self.org.db.actor_id, "createdDate": now, "systemModstamp": now,
            "state": "Open", "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(version),
            "lineEnding": ending, "columnDelimiter": delim,
            "jobType": "V2Query" if kind == "query" else "V2Ingest",
            "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "retries": 0,
            "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
            "_kind": kind, "_ready": None,
        }
        return job

    def create_ingest(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        op = body.get("operation")
        if op not in INGEST_OPS:
            raise _err("INVALIDJOB", 400, f"Invalid operation: {op!r}; one of {', '.join(INGEST_OPS)}")
        name = body.get("object")
        if not name:
            raise _err("INVALIDJOB", 400, "object is required")
        obj = self._sobject(name)
        if (body.get("contentType") or "CSV") != "CSV":
            raise _err("INVALIDJOB", 400, f"Unsupported content type: {body.get('contentType')}")
        ext = body.get("externalIdFieldName")
        if op == "upsert":
            f = obj.field(ext or "")
            if f is None or not (f.external_id or f.type == "id"):
                raise _err("INVALIDJOB", 400, f"External ID was blank or invalid for {obj.name}: {ext}")
            ext = f.name
        job = self._new("ingest", version, body)
        job.update({"object": obj.name, "externalIdFieldName": ext if op == "upsert" else None,
                    "contentUrl": f"services/data/v{version}/jobs/ingest/{job['id']}/batches"})
        if op != "upsert":
            job.pop("externalIdFieldName")
        self.store.data["jobs"][job["id"]] = job
        self.store.data["data"][job["id"]] = []
        return job

    def create_query(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        op = body.get("operation") or "query"
        if op not in QUERY_OPS:
            raise _err("INVALIDJOB", 400, f"Invalid operation: {op!r}; one of query, queryAll")
        soql = body.get("query")
        if not isinstance(soql, str) or not soql.strip():
            raise _err("INVALIDJOB", 400, "query is required")
        self._select(soql, op, version)   # a malformed query is refused when the job is created
        job = self._new("query", version, body)
        m = re.search(r"\bfrom\s+([A-Za-z0-9_]+)", soql, re.IGNORECASE)
        job["object"] = self.org.db.sobject(m.group(1)).name if m else None
        job["state"] = "UploadComplete"
        job["_query"] = soql
        job["_ready"] = self._ready_at()
        self.store.data["jobs"][job["id"]] = job
        return job

    def _select(self, soql: str, op: str, version: str) -> list[dict[str, Any]]:
        """The query's rows through the org's SOQL engine; nested (child) queries and aggregate
        results are refused, as Bulk API 2.0 refuses them."""
        records, _ = self.org.engine.run(soql, include_deleted=op == "queryAll", version=version)
        for rec in records[:1]:
            if (rec.get("attributes") or {}).get("type") == "AggregateResult" or any(
                    isinstance(v, dict) and "records" in v for v in rec.values()):
                raise _err("API_ERROR", 400, "Bulk API 2.0 query jobs support neither nested queries nor "
                                             "aggregate functions")
        return records

    def _sobject(self, name: str):
        try:
            return self.org.db.sobject(name)
        except E.SalesforceError:
            raise _err("INVALIDJOB", 400, f"InvalidJob : Unable to find object: {name}") from None

    def _ready_at(self):
        delay = float(self.org.settings.get("bulk_processing_seconds") or 0)
        return self.org.sim.clock.now() + timedelta(seconds=delay)

    def job(self, job_id: str, kind: str) -> dict[str, Any]:
        job = self.store.data["jobs"].get(job_id)
        if job is None or job["_kind"] != kind:
            raise _err("NOT_FOUND", 404, "The requested resource does not exist")
        if job["state"] == "UploadComplete" and job["_ready"] is not None and \
                self.org.sim.clock.now() >= job["_ready"]:
            self._run(job)
        return job

    def view(self, job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    def list(self, kind: str, job_type: str | None = None) -> dict[str, Any]:
        jobs = [self.view(j) for j in self.store.data["jobs"].values() if j["_kind"] == kind
                and (job_type is None or j["jobType"] == job_type)]
        return {"done": True, "records": jobs, "nextRecordsUrl": None}

    def upload(self, job_id: str, data: bytes) -> None:
        job = self.job(job_id, "ingest")
        if job["state"] != "Open":
            raise _err("INVALIDJOBSTATE", 409, f"Job {job_id} is not open for uploads: its state is {job['state']}")
        if len(data) > MAX_UPLOAD_BYTES:
            raise _err("INVALIDBATCH", 400, "The upload exceeds 150 MB")
        if self.store.data["data"][job_id]:
            raise _err("INVALIDJOBSTATE", 409, "Found multiple contents for job: <" + job_id + ">, please "
                                               "'Close' / 'Abort' / 'Delete' the current Job then create a new Job "
                                               "and make sure you only do 'PUT' once on a given Job.")
        self.store.data["data"][job_id].append(data)

    def set_state(self, job_id: str, kind: str, state: str) -> dict[str, Any]:
        job = self.job(job_id, kind)
        allowed = {"UploadComplete": ("Open",), "Aborted": ("Open", "UploadComplete", "InProgress")}
        if kind == "query":
            allowed = {"Aborted": ("UploadComplete", "InProgress")}
        if state not in allowed:
            raise _err("INVALIDJOBSTATE", 400, f"Invalid state: {state}")
        if job["state"] not in allowed[state]:
            raise _err("INVALIDJOBSTATE", 409, f"Cannot change the state of job {job_id} from {job['state']} "
                                               f"to {state}")
        job["state"] = state
        job["systemModstamp"] = sf_datetime(self.org.sim.clock.now())
        if state == "UploadComplete":
            job["_ready"] = self._ready_at()
            self.job(job_id, kind)   # processed at once when there is no processing delay
        return job

    def delete(self, job_id: str, kind: str) -> None:
        job = self.job(job_id, kind)
        if kind == "ingest" and job["state"] in ("UploadComplete", "InProgress"):
            raise _err("INVALIDJOBSTATE", 409, f"Job {job_id} is still being processed: abort it first")
        for key in ("jobs", "data", "results"):
            self.store.data[key].pop(job_id, None)

    # ---- processing -----------------------------------------------------------------------------
    def _run(self, job: dict[str, Any]) -> None:
        if job["_kind"] == "query":
            self._run_query(job)
        else:
            self._run_ingest(job)
        job["state"] = "JobComplete"
        job["systemModstamp"] = sf_datetime(self.org.sim.clock.now())

    def _rows(self, job: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
        raw = b"".join(self.store.data["data"].get(job["id"], []))
        text = raw.decode("utf-8-sig", "replace")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[job["columnDelimiter"]])
        rows = [r for r in reader if r]
        return (rows[0], rows[1:]) if rows else ([], [])

    def _run_ingest(self, job: dict[str, Any]) -> None:
        header, rows = self._rows(job)
        ok, failed = [], []
        db = self.org.db
        with db.transaction():
            for row in rows:
                values = dict(zip(header, row + [""] * (len(header) - len(row))))
                try:
                    with db.savepoint():
                        rec_id, created = self._apply(job, values)
                    ok.append((rec_id, created, row))
                except E.SalesforceError as exc:
                    failed.append((values.get("Id") or "", f"{exc.code}:{exc.message}:{','.join(exc.fields)} --",
                                   row))
        job["numberRecordsProcessed"] = len(rows)
        job["numberRecordsFailed"] = len(failed)
        self.store.data["results"][job["id"]] = {"header": header, "ok": ok, "failed": failed}

    def _apply(self, job: dict[str, Any], cells: dict[str, str]) -> tuple[str, bool]:
        """One CSV row: empty cells leave a field as it is, ``#N/A`` sets null, and a
        ``Parent.ExternalId__c`` column looks the parent up."""
        obj = self.org.db.sobject(job["object"])
        if job["operation"] in ("delete", "hardDelete") and set(cells) != {"Id"}:
            raise E.InvalidField("The 'delete' batch must contain only 'Id'", fields=list(cells))
        values: dict[str, Any] = {}
        for name, cell in cells.items():
            if cell == "":
                continue
            value = None if cell == "#N/A" else cell
            if "." in name:
                rel, _, key = name.partition(".")
                name, value = lookup(self.org, obj, rel, key, value)
            values[name] = value
        return apply_row(self.org, obj, job["operation"], job.get("externalIdFieldName"), values)

    def _run_query(self, job: dict[str, Any]) -> None:
        columns, rows = flat_table(self._select(job["_query"], job["operation"], str(job["apiVersion"])))
        self.store.data["results"][job["id"]] = {"columns": columns, "rows": rows}
        job["numberRecordsProcessed"] = len(rows)

    # ---- results ---------------------------------------------------------------------------------
    def ingest_results(self, job_id: str, which: str) -> str:
        job = self.job(job_id, "ingest")
        res = self.store.data["results"].get(job_id)
        out = io.StringIO()
        w = csv.writer(out, lineterminator=ENDINGS[job["lineEnding"]], delimiter=DELIMITERS[job["columnDelimiter"]])
        if which == "unprocessedrecords":
            header, rows = self._rows(job)
            w.writerow(header)
            if res is None:   # nothing processed yet (aborted, or still waiting): every row is unprocessed
                w.writerows(rows)
            return out.getvalue()
        if res is None:
            raise _err("INVALIDJOBSTATE", 409, f"Job {job_id} has not been processed: its state is {job['state']}")
        if which == "successfulResults":
            w.writerow(["sf__Id", "sf__Created", *res["header"]])
            w.writerows([rid, "true" if created else "false", *row] for rid, created, row in res["ok"])
        else:
            w.writerow(["sf__Id", "sf__Error", *res["header"]])
            w.writerows([rid, error, *row] for rid, error, row in res["failed"])
        return out.getvalue()

    def query_page(self, job_id: str, locator: str | None, max_records: int | None) -> tuple[str, str, int]:
        job = self.job(job_id, "query")
        if job["state"] != "JobComplete":
            raise _err("INVALIDJOBSTATE", 409, f"Job {job_id} is not complete: its state is {job['state']}")
        res = self.store.data["results"][job_id]
        start = 0
        if locator:
            try:
                start = int(locator)
            except ValueError:
                raise _err("INVALID_LOCATOR", 400, f"Invalid locator: {locator}") from None
        size = max_records if max_records and max_records > 0 else len(res["rows"]) or 1
        page = res["rows"][start:start + size]
        nxt = start + len(page)
        out = io.StringIO()
        w = csv.writer(out, lineterminator=ENDINGS[job["lineEnding"]], delimiter=DELIMITERS[job["columnDelimiter"]],
                       quoting=csv.QUOTE_ALL)
        w.writerow(res["columns"])
        for row in page:
            w.writerow(["" if row.get(c) is None else row[c] for c in res["columns"]])
        return out.getvalue(), (str(nxt) if nxt < len(res["rows"]) else "null"), len(page)
