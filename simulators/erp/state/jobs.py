"""Asynchronous requests (``Prefer: respond-async``): each becomes a job with one task whose result is
the answer the synchronous request would have given. Shape from Oracle, "REST Web Services Request
Processing" (docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/chapter_161251386312.html):
202 + ``Location: /services/rest/async/v1/job/<id>``; the job reports ``completed`` and ``progress``;
``X-NetSuite-Idempotency-Key`` names a job once, a repeat is refused with the earlier job's Location
(subsect_164494900632.html). The fake processes the job before answering the 202, so a status request
always sees it finished (deterministic; the queue delay of a real account is not modelled)."""
from __future__ import annotations

from ..errors import NotFound
from .base import StateBase


class AsyncJobs(StateBase):
    def __init__(self, sim, store):
        self.sim, self.store = sim, store

    def submit(self, idempotency_key: str | None) -> tuple[dict, bool]:
        """A new pending job, or (the earlier job, True) when the idempotency key was used before."""
        with self.store.lock:
            data = self.store.data
            if idempotency_key:
                earlier = data["jobKeys"].get(idempotency_key)
                if earlier is not None:
                    return data["jobs"][earlier], True
            jid = self.next_id("job")
            job = {"id": jid, "completed": False, "progress": "pending", "createdDate": self.now(),
                   "completedTime": None, "idempotencyKey": idempotency_key, "task": None}
            data["jobs"][jid] = job
            if idempotency_key:
                data["jobKeys"][idempotency_key] = jid
            return job, False

    def finish(self, jid: str, status: int, headers: dict[str, str], body: bytes) -> dict:
        with self.store.lock:
            job = self.store.data["jobs"][jid]
            job.update(completed=True, progress="failed" if status >= 400 else "succeeded",
                       completedTime=self.now(),
                       task={"id": jid, "status": status, "headers": headers, "body": body.decode("utf-8")})
            return job

    def get(self, jid: str, task: str | None = None) -> dict:
        job = self.store.data["jobs"].get(jid)
        if job is None or (task is not None and (job["task"] is None or job["task"]["id"] != task)):
            raise NotFound()
        return job
