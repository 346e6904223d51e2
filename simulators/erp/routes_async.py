"""Asynchronous requests: any API request with ``Prefer: respond-async`` answers 202 with
``Preference-Applied: respond-async`` and ``Location: .../services/rest/async/v1/job/<id>``; the job,
its task and the task's result (the answer the synchronous request would have given) are read under
``/services/rest/async/v1/job/...`` (Oracle, "REST Web Services Request Processing",
docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/chapter_161251386312.html and
subsect_161278579295.html). A repeated ``X-NetSuite-Idempotency-Key`` is refused with
IDEMPOTENCY_ERROR and the earlier job's Location (subsect_164494900632.html: the example's title is
Conflict, so 409 here)."""
from __future__ import annotations

from typing import Callable

from ..core.errors import SimError
from .errors import NetSuiteError, render_error
from .routes import COLLECTION, Call, answer

ASYNC = "/services/rest/async/v1/job"
ASYNC_TYPE = "application/vnd.oracle.resource+json; type=singular-resource; charset=UTF-8"


def submit(call: Call, handler: Callable) -> tuple:
    key = call.header("X-NetSuite-Idempotency-Key") or None
    job, repeat = call.state.jobs.submit(key)
    location = f"{call.root}{ASYNC}/{job['id']}"
    if repeat:
        raise NetSuiteError('A request with the same idempotency key is already submitted. See the "Location" '
                            "header for a link to the previously submitted job", status=409, code="IDEMPOTENCY_ERROR",
                            headers={"Location": location, "Preference-Applied": "respond-async"})
    try:
        status, headers, body = handler(call, **call.req.url_args)
    except SimError as exc:
        status, headers, body = render_error(exc)
    call.state.jobs.finish(job["id"], status, {k: v for k, v in headers}, body)
    return 202, [("Location", location), ("Preference-Applied", "respond-async")], b""


def _links(call: Call, *tail: str) -> list[dict]:
    return [{"rel": "self", "href": "/".join([call.root + ASYNC, *tail])}]


def job(call: Call, jid: str):
    j = call.state.jobs.get(jid)
    return answer({"links": _links(call, jid), "id": jid, "completed": j["completed"], "progress": j["progress"],
                   "createdDate": j["createdDate"], "completedTime": j["completedTime"],
                   "task": {"links": _links(call, jid, "task")}}, ASYNC_TYPE)


def tasks(call: Call, jid: str):
    j = call.state.jobs.get(jid)
    items = [{"links": _links(call, jid, "task", j["task"]["id"]), "id": j["task"]["id"]}] if j["task"] else []
    return answer({"links": _links(call, jid, "task"), "count": len(items), "hasMore": False, "items": items,
                   "offset": 0, "totalResults": len(items)}, COLLECTION)


def task(call: Call, jid: str, tid: str):
    j = call.state.jobs.get(jid, tid)
    return answer({"links": _links(call, jid, "task", tid), "id": tid, "completed": j["completed"],
                   "progress": j["progress"], "result": {"links": _links(call, jid, "task", tid, "result")}},
                  ASYNC_TYPE)


def result(call: Call, jid: str, tid: str):
    t = call.state.jobs.get(jid, tid)["task"]
    return t["status"], list(t["headers"].items()), t["body"].encode("utf-8")


def table(state) -> list[tuple[str, str, str, Callable]]:
    return [("GET", ASYNC + "/<jid>", "asyncJob.get", job),
            ("GET", ASYNC + "/<jid>/task", "asyncJob.task.list", tasks),
            ("GET", ASYNC + "/<jid>/task/<tid>", "asyncJob.task.get", task),
            ("GET", ASYNC + "/<jid>/task/<tid>/result", "asyncJob.task.result", result)]
