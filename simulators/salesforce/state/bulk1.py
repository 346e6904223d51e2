"""Bulk API 1.0 of the fake org, JSON content type (what ``simple-salesforce``'s ``sf.bulk`` uses):
jobs, batches of records or one query, batch results and query result sets. No web framework
here; ``routes_bulk1.py`` parses requests and shapes answers.

Behaviour follows the Bulk API 2.0 and Bulk API Developer Guide, "Bulk API" chapter (jobInfo and
batchInfo fields, job states Open/Closed/Aborted/Failed, batch states Queued/InProgress/
Completed/Failed/NotProcessed, results as ``[{"success", "created", "id", "errors"}]``, query
batches answering a list of result ids, errors as ``{"exceptionCode", "exceptionMessage"}``).
A batch is processed the first time it is read once ``bulk_processing_seconds`` of simulated
time have passed (org setting, default 0), so a frozen clock never stalls a polling client.
"""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from .. import errors as E
from .bulk_rows import apply_row, flat_table, lookup
from .values import sf_datetime, to_json

OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll")
MAX_RECORDS_PER_BATCH = 10_000   # "Batches: a batch can contain a maximum of 10,000 records"


class AsyncError(E.SalesforceError):
    """Bulk API 1.0's error body (JSON): ``{"exceptionCode", "exceptionMessage"}``."""

    def body(self) -> Any:
        return {"exceptionCode": self.code, "exceptionMessage": self.message}


def _err(code: str, message: str, status: int = 400) -> AsyncError:
    exc = AsyncError(message)
    exc.code, exc.status = code, status
    return exc


def _factory() -> dict[str, Any]:
    return {"jobs": {}, "batches": {}}


class Bulk1:
    def __init__(self, org):
        self.org = org
        self.store = org.sim.store(_factory)

    def _now(self) -> str:
        return sf_datetime(self.org.sim.clock.now())

    # ---- jobs ---------------------------------------------------------------------------------
    def create_job(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        op = body.get("operation")
        if op not in OPERATIONS:
            raise _err("InvalidJob", f"Invalid operation: {op}")
        content_type = body.get("contentType") or "JSON"
        if content_type not in ("JSON", "CSV"):
            raise _err("InvalidJob", f"Unsupported content type: {content_type} (this harness serves JSON and CSV)")
        try:
            obj = self.org.db.sobject(str(body.get("object") or ""))
        except E.SalesforceError:
            raise _err("InvalidJob", f"Unable to find object: {body.get('object')}") from None
        ext = body.get("externalIdFieldName")
        if op == "upsert":
            f = obj.field(ext or "")
            if f is None or not (f.external_id or f.type == "id"):
                raise _err("InvalidJob", f"External ID was blank or invalid for {obj.name}: {ext}")
            ext = f.name
        now = self._now()
        job = {"id": self.org.sim.ids.salesforce("750"), "operation": op, "object": obj.name,
               "createdById": self.org.db.actor_id, "createdDate": now, "systemModstamp": now, "state": "Open",
               "concurrencyMode": "Serial" if body.get("concurrencyMode") in (1, "Serial") else "Parallel",
               "contentType": content_type, "apiVersion": float(version), "numberBatchesQueued": 0,
               "numberBatchesInProgress": 0, "numberBatchesCompleted": 0, "numberBatchesFailed": 0,
               "numberBatchesTotal": 0, "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "numberRetries": 0,
               "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0}
        if op == "upsert":
            job["externalIdFieldName"] = ext
        self.store.data["jobs"][job["id"]] = job
        return job

    def job(self, job_id: str) -> dict[str, Any]:
        job = self.store.data["jobs"].get(job_id)
        if job is None:
            raise _err("InvalidJob", f"Invalid job id: {job_id}")
        for b in self._batches(job_id):
            self._maybe_run(b)
        return job

    def set_state(self, job_id: str, state: str) -> dict[str, Any]:
        job = self.job(job_id)
        if state not in ("Closed", "Aborted"):
            raise _err("InvalidJobState", f"Invalid state: {state}")
        if job["state"] != "Open":
            raise _err("InvalidJobState", f"Job {job_id} is {job['state']}: only an Open job can be {state}")
        job["state"], job["systemModstamp"] = state, self._now()
        if state == "Aborted":
            for b in self._batches(job_id):
                if b["state"] == "Queued":
                    b["state"] = "NotProcessed"
        return job

    # ---- batches ------------------------------------------------------------------------------
    def add_batch(self, job_id: str, data: Any) -> dict[str, Any]:
        job = self.job(job_id)
        if job["state"] != "Open":
            raise _err("InvalidJobState", f"Job {job_id} is {job['state']}: batches can only be added to an Open job")
        if job["operation"] in ("query", "queryAll"):
            if not isinstance(data, str) or not data.strip():
                raise _err("InvalidBatch", "A query batch is the SOQL text")
        else:
            if job["contentType"] == "CSV":
                data = csv_records(data)
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise _err("InvalidBatch", "A batch of records is a JSON array of objects")
            if len(data) > MAX_RECORDS_PER_BATCH:
                raise _err("InvalidBatch", f"Records in a batch exceed {MAX_RECORDS_PER_BATCH}")
        now = self._now()
        delay = float(self.org.settings.get("bulk_processing_seconds") or 0)
        batch = {"id": self.org.sim.ids.salesforce("751"), "jobId": job_id, "state": "Queued", "createdDate": now,
                 "systemModstamp": now, "numberRecordsProcessed": 0, "numberRecordsFailed": 0,
                 "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
                 "_data": data, "_results": None,
                 "_ready": self.org.sim.clock.now() + timedelta(seconds=delay)}
        self.store.data["batches"][batch["id"]] = batch
        job["numberBatchesTotal"] += 1
        job["numberBatchesQueued"] += 1
        self._maybe_run(batch)
        return batch

    def _batches(self, job_id: str) -> list[dict[str, Any]]:
        return [b for b in self.store.data["batches"].values() if b["jobId"] == job_id]

    def batch(self, job_id: str, batch_id: str) -> dict[str, Any]:
        self.job(job_id)
        b = self.store.data["batches"].get(batch_id)
        if b is None or b["jobId"] != job_id:
            raise _err("InvalidBatch", f"Invalid batch id: {batch_id}")
        return b

    def batches(self, job_id: str) -> list[dict[str, Any]]:
        self.job(job_id)
        return self._batches(job_id)

    @staticmethod
    def view(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if not k.startswith("_")}

    def _maybe_run(self, b: dict[str, Any]) -> None:
        if b["state"] != "Queued" or self.org.sim.clock.now() < b["_ready"]:
            return
        job = self.store.data["jobs"][b["jobId"]]
        if job["operation"] in ("query", "queryAll"):
            try:
                records, _ = self.org.engine.run(b["_data"], include_deleted=job["operation"] == "queryAll",
                                                 version=str(job["apiVersion"]))
            except E.SalesforceError as exc:
                b.update(state="Failed", stateMessage=f"{exc.code}: {exc.message}")
                job["numberBatchesFailed"] += 1
                job["numberBatchesQueued"] -= 1
                return
            b["_results"] = {self.org.sim.ids.salesforce("752"): [to_json_record(r) for r in records]}
            b["numberRecordsProcessed"] = len(records)
        else:
            b["_results"] = self._run_records(job, b["_data"])
            b["numberRecordsProcessed"] = len(b["_results"])
            b["numberRecordsFailed"] = sum(1 for r in b["_results"] if not r["success"])
        b["state"], b["systemModstamp"] = "Completed", self._now()
        job["numberBatchesQueued"] -= 1
        job["numberBatchesCompleted"] += 1
        job["numberRecordsProcessed"] += b["numberRecordsProcessed"]
        job["numberRecordsFailed"] += b["numberRecordsFailed"]

    def _run_records(self, job: dict[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        db, obj = self.org.db, self.org.db.sobject(job["object"])
        out = []
        with db.transaction():
            for raw in records:
                try:
                    with db.savepoint():
                        values = {}
                        for k, v in raw.items():
                            if k == "attributes":
                                continue
                            if isinstance(v, dict):   # {"Account": {"Customer_Key__c": "X"}}: a parent lookup
                                keys = [kk for kk in v if kk != "attributes"]
                                key = keys[0] if keys else "Id"
                                k, v = lookup(self.org, obj, k, key, v.get(key))
                            values[k] = v
                        rec_id, created = apply_row(self.org, obj, job["operation"], job.get("externalIdFieldName"),
                                                    values)
                    out.append({"success": True, "created": created, "id": rec_id, "errors": []})
                except E.SalesforceError as exc:
                    out.append({"success": False, "created": False, "id": None, "errors": [
                        {"fields": exc.fields, "message": exc.message, "statusCode": exc.code}]})
        return out

    # ---- results ------------------------------------------------------------------------------
    def results(self, job_id: str, batch_id: str) -> Any:
        b = self.batch(job_id, batch_id)
        if b["state"] != "Completed":
            raise _err("InvalidBatch", f"Batch not completed: its state is {b['state']}")
        job = self.store.data["jobs"][job_id]
        if job["operation"] in ("query", "queryAll"):
            return list(b["_results"])
        return b["_results"]

    def result_set(self, job_id: str, batch_id: str, result_id: str) -> list[dict[str, Any]]:
        b = self.batch(job_id, batch_id)
        rows = (b["_results"] or {}).get(result_id) if isinstance(b["_results"], dict) else None
        if rows is None:
            raise _err("InvalidBatch", f"Invalid result id: {result_id}")
        return rows

    def request(self, job_id: str, batch_id: str) -> Any:
        return self.batch(job_id, batch_id)["_data"]


def to_json_record(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (to_json_record(v) if isinstance(v, dict) else to_json(v)) for k, v in rec.items()}


def csv_records(text: Any) -> list[dict[str, Any]]:
    """A CSV batch as records: the header names the fields; an empty cell leaves a field as it is,
    ``#N/A`` sets it to null, and ``Parent.ExternalId__c`` columns become a parent lookup."""
    if not isinstance(text, str) or not text.strip():
        raise _err("InvalidBatch", "A CSV batch needs a header row and at least one record")
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) if r]
    header, out = rows[0], []
    for row in rows[1:]:
        rec: dict[str, Any] = {}
        for name, cell in zip(header, row):
            if cell == "":
                continue
            value = None if cell == "#N/A" else cell
            if "." in name:
                rel, _, key = name.partition(".")
                rec[rel] = {key: value}
            else:
                rec[name] = value
        out.append(rec)
    return out


def csv_results(results: list[dict[str, Any]]) -> str:
    """Batch results of a CSV job: ``"Id","Success","Created","Error"`` per record, in order."""
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(["Id", "Success", "Created", "Error"])
    for r in results:
        error = "; ".join(f"{e['statusCode']}:{e['message']}" for e in r["errors"])
        w.writerow([r["id"] or "", str(r["success"]).lower(), str(r["created"]).lower(), error])
    return out.getvalue()


def csv_rows(records: list[dict[str, Any]]) -> str:
    """A query result set as CSV (parent fields as ``Account.Name`` columns)."""
    columns, flat = flat_table(records)
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(columns)
    for row in flat:
        w.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return out.getvalue()
