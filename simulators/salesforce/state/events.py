"""The event bus: Change Data Capture events from the write path and platform events published
through ``POST /sobjects/X__e/``, each with a replay id, readable by channel after a replay id.

Message shape is the CometD/Streaming JSON form: ``{"schema", "payload", "event": {"replayId"}}``.
CDC payloads carry ``ChangeEventHeader`` (entityName, recordIds, changeType, changeOrigin,
transactionKey, sequenceNumber, commitTimestamp, commitNumber, commitUser, changedFields,
nulledFields, diffFields) plus the changed field values (all non-null fields on CREATE)
(developer.salesforce.com change_data_capture cdc_event_fields_header).

Faults (``/_sim/salesforce/eventbus/faults``): ``duplicate`` publishes the same event again under
a new replay id (same EventUuid and transactionKey, so consumers can dedupe); ``reorder`` holds an
event back until the next event on its channel has been published.
"""
from __future__ import annotations

import fnmatch
from typing import Any

from ..state.values import to_json

KEEP = 50_000


class EventBus:
    def __init__(self, org):
        self.org = org

    @property
    def data(self) -> dict[str, Any]:
        return self.org.store.data["eventbus"]

    def _next_replay(self) -> int:
        self.data["replay"] += 1
        return self.data["replay"]

    def _fault(self, channel: str) -> dict[str, Any] | None:
        for rule in list(self.data["faults"]):
            if fnmatch.fnmatchcase(channel, rule.get("channel", "*")):
                rule["hits"] = rule.get("hits", 0) + 1
                if rule.get("times") is not None:
                    rule["times"] -= 1
                    if rule["times"] <= 0:
                        self.data["faults"].remove(rule)
                return rule
        return None

    def publish(self, channels: list[str], message: dict[str, Any]) -> list[int]:
        """Append a message to each channel (CDC goes to its object channel and /data/ChangeEvents)."""
        replay_ids = []
        for channel in channels:
            rule = self._fault(channel)
            held = self.data["held"].pop(channel, [])
            if rule and rule.get("reorder"):
                self.data["held"].setdefault(channel, []).append(message)
                for m in held:
                    replay_ids.append(self._append(channel, m))
                continue
            replay_ids.append(self._append(channel, message))
            for m in held:
                self._append(channel, m)
            if rule and rule.get("duplicate"):
                self._append(channel, message)
        return replay_ids

    def _append(self, channel: str, message: dict[str, Any]) -> int:
        rid = self._next_replay()
        events = self.data["events"]
        events.append({"channel": channel, "replayId": rid, "schema": message.get("schema"),
                       "payload": message["payload"], "event": {"replayId": rid,
                                                                "EventUuid": message.get("uuid")},
                       "publishedAt": self.org.sim.clock.now()})
        if len(events) > KEEP:
            del events[: len(events) - KEEP]
        return rid

    def flush_held(self) -> int:
        held = self.data["held"]
        n = 0
        for channel in list(held):
            for m in held.pop(channel):
                self._append(channel, m)
                n += 1
        return n

    def read(self, channel: str, after: int = -1, limit: int = 1000) -> list[dict[str, Any]]:
        out = []
        for e in self.data["events"]:
            if e["channel"] == channel and e["replayId"] > after:
                out.append({"channel": e["channel"], "schema": e["schema"], "payload": e["payload"],
                            "event": e["event"]})
                if len(out) >= limit:
                    break
        return out

    def latest(self) -> int:
        return self.data["replay"]

    # ---- CDC ----------------------------------------------------------------------------
    def on_change(self, ch) -> None:
        obj = self.org.registry.objects[ch.sobject]
        if not obj.change_events or ch.sobject not in self.org.settings.get("cdc_entities", ()):
            return
        header = {
            "entityName": ch.sobject, "recordIds": [ch.id], "changeType": ch.kind,
            "changeOrigin": ch.origin, "transactionKey": ch.transaction_key, "sequenceNumber": ch.sequence,
            "commitTimestamp": int(ch.at.timestamp() * 1000), "commitNumber": self.data["replay"] + 1,
            "commitUser": self.org.db.user_id, "changedFields": [], "nulledFields": [], "diffFields": [],
        }
        payload: dict[str, Any] = {"ChangeEventHeader": header}
        if ch.kind == "CREATE":
            for k, v in ch.new.items():
                if v is not None and k not in ("Id", "IsDeleted", "SystemModstamp"):
                    payload[k] = to_json(v)
        elif ch.kind == "UPDATE":
            header["changedFields"] = sorted(set(ch.changed))
            for k in header["changedFields"]:
                v = ch.new.get(k)
                if v is None:
                    header["nulledFields"].append(k)
                payload[k] = to_json(v)
        channel = f"/data/{obj.change_event_name}"
        message = {"schema": f"{obj.change_event_name}-schema", "payload": payload, "uuid": self.org.sim.ids.uuid()}
        self.publish([channel, "/data/ChangeEvents"], message)

    # ---- platform events ----------------------------------------------------------------
    def publish_platform_event(self, obj, values: dict[str, Any]) -> str:
        now = self.org.sim.clock.now()
        payload = {k: to_json(v) for k, v in values.items()}
        payload.update({"CreatedDate": to_json(now), "CreatedById": self.org.db.user_id})
        uuid = self.org.sim.ids.uuid()
        self.publish([f"/event/{obj.name}"], {"schema": f"{obj.name}-schema", "payload": payload, "uuid": uuid})
        return uuid
