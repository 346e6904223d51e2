"""The rest of a transaction's life, as the SDK's methods name it (developer.avalara.com/api-reference/avatax/rest/v2):
by id, change code, settle (verify + change code + commit in one call), unvoid, add/delete lines,
bulk lock, audit. Mixed into the transaction store; no Flask here."""
from __future__ import annotations

from typing import Any

from ...core.clock import iso
from ..errors import AvaTaxError



class Lifecycle:
    def get_by_id(self, doc_id: int) -> dict[str, Any]:
        for doc in list(self.data["docs"].values()):
            if doc["id"] == doc_id:
                return doc
        raise AvaTaxError("EntityNotFoundError", f"Transaction with ID '{doc_id}' not found.",
                          f"The Transaction with ID '{doc_id}' was not found.", refers_to="id")

    def change_code(self, company: str, code: str, doc_type: str | None, new_code: Any) -> dict[str, Any]:
        if not new_code or not isinstance(new_code, str):
            raise AvaTaxError("ValueRequiredError", "Field 'newCode' is required.", refers_to="newCode")
        with self.mutex:
            doc = self._find(company, code, doc_type)
            self._modifiable(doc)
            new_key = self._key(doc["companyCode"], new_code, doc["type"])
            if new_key in self.data["docs"]:
                raise AvaTaxError("TransactionAlreadyExists", f"A transaction with code '{new_code}' already exists.",
                                  refers_to="newCode")
            old_key = self._key(doc["companyCode"], doc["code"], doc["type"])
            for table in ("docs", "models", "requests", "before_void"):
                if old_key in self.data[table]:
                    self.data[table][new_key] = self.data[table].pop(old_key)
            doc["code"] = new_code
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def settle(self, company: str, code: str, doc_type: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """SettleTransactionModel: ``verify``, ``changeCode``, ``commit``, applied in that order."""
        if not any(isinstance(body.get(k), dict) for k in ("verify", "changecode", "commit")):
            raise AvaTaxError("ValueRequiredError", "At least one of 'verify', 'changeCode' or 'commit' is required.",
                              refers_to="model")
        with self.mutex:
            doc = self._find(company, code, doc_type)
            if isinstance(body.get("verify"), dict):
                doc = self.verify(company, doc["code"], doc["type"], body["verify"])
            if isinstance(body.get("changecode"), dict):
                doc = self.change_code(company, doc["code"], doc["type"], body["changecode"].get("newcode"))
            if isinstance(body.get("commit"), dict):
                doc = self.commit(company, doc["code"], doc["type"], bool(body["commit"].get("commit")))
            return doc

    def unvoid(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        """A voided (Cancelled) document gets back the status it had before the void."""
        with self.mutex:
            doc = self._find(company, code, doc_type)
            if doc["status"] != "Cancelled":
                raise AvaTaxError("InvalidDocumentStatus", f"Cannot unvoid a {doc['status']} document.")
            key = self._key(doc["companyCode"], doc["code"], doc["type"])
            doc["status"] = self.data["before_void"].pop(key, "Saved")
            doc["modifiedDate"] = iso(self.sim.now())
            return doc

    def _recalculate(self, doc: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
        new = self.calculate(model, doc_id=doc["id"], status=doc["status"], version=doc["version"],
                             adjustment=(doc["adjustmentReason"], doc["adjustmentDescription"]))
        self._save(new, model)
        return new

    def _line_target(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        for field in ("companycode", "transactioncode"):
            if not body.get(field):
                raise AvaTaxError("ValueRequiredError", f"Field '{field}' is required.", refers_to=field)
        doc = self._find(body["companycode"], body["transactioncode"], body.get("documenttype"))
        self._modifiable(doc)
        if doc["status"] in ("Cancelled", "Adjusted"):
            raise AvaTaxError("InvalidDocumentStatus", f"Cannot change the lines of a {doc['status']} document.")
        model = self.data["models"].get(self._key(doc["companyCode"], doc["code"], doc["type"]))
        if model is None:
            raise AvaTaxError("InvalidDocumentStatus", "The lines of this document cannot be changed.")
        return doc, model

    def add_lines(self, body: dict[str, Any]) -> dict[str, Any]:
        """AddTransactionLineModel: the new lines are calculated into the document."""
        lines = body.get("lines")
        if not isinstance(lines, list) or not lines:
            raise AvaTaxError("MissingLine", "A transaction needs at least one line.", refers_to="lines")
        with self.mutex:
            doc, model = self._line_target(body)
            old = model.get("lines") or []
            added = [dict(l) for l in lines]
            if body.get("renumber"):
                for n, line in enumerate(added, start=len(old) + 1):
                    line["number"] = str(n)
            return self._recalculate(doc, dict(model, lines=old + added))

    def delete_lines(self, body: dict[str, Any]) -> dict[str, Any]:
        """RemoveTransactionLineModel: ``lines`` are line numbers (strings) to remove."""
        wanted = {str(n) for n in (body.get("lines") or [])}
        if not wanted:
            raise AvaTaxError("ValueRequiredError", "Field 'lines' is required.", refers_to="lines")
        with self.mutex:
            doc, model = self._line_target(body)
            old = model.get("lines") or []
            numbers = [str(l.get("number") or i) for i, l in enumerate(old, start=1)]
            missing = wanted - set(numbers)
            if missing:
                raise AvaTaxError("EntityNotFoundError", f"Line '{sorted(missing)[0]}' not found.", refers_to="lines")
            kept = [l for l, n in zip(old, numbers) if n not in wanted]
            if not kept:
                raise AvaTaxError("MissingLine", "A transaction needs at least one line.", refers_to="lines")
            if body.get("renumber"):
                kept = [dict(l, number=str(i)) for i, l in enumerate(kept, start=1)]
            return self._recalculate(doc, dict(model, lines=kept))

    def bulk_lock(self, body: dict[str, Any]) -> dict[str, Any]:
        """BulkLockTransactionModel -> BulkLockTransactionResult."""
        ids = body.get("documentids")
        if not isinstance(ids, list) or not ids:
            raise AvaTaxError("ValueRequiredError", "Field 'documentIds' is required.", refers_to="documentIds")
        locked = bool(body.get("islocked"))
        with self.mutex:
            wanted = {int(i) for i in ids if isinstance(i, int) or str(i).isdecimal()}
            count = 0
            for doc in self.data["docs"].values():
                if doc["id"] in wanted:
                    doc["locked"] = locked
                    count += 1
        return {"numberOfRecords": count}

    def audit(self, company: str, code: str, doc_type: str | None) -> dict[str, Any]:
        """AuditTransactionModel: the original API call that created the document, as sent."""
        doc = self._find(company, code, doc_type)
        saved = self.data["requests"].get(self._key(doc["companyCode"], doc["code"], doc["type"]))
        original = None
        if saved:
            original = {"timestamp": saved["at"], "duration": "00:00:00", "apiUri": "/api/v2/transactions/create",
                        "apiStatusCode": "201", "request": saved["request"], "response": None}
        return {"companyId": doc["companyId"], "serverTimestamp": iso(self.sim.now()), "serverDuration": "00:00:00",
                "apiCallStatus": "OriginalApiCallAvailable" if saved else "NotAvailable",
                "original": original, "reconstructed": None}

    def create_multi_document(self, model: dict[str, Any]) -> dict[str, Any]:
        """CreateMultiDocumentModel: lines name their own ``companyCode``; one transaction per company,
        all under the multi-document's ``code``. Estimates are calculated only, invoices stored."""
        lines = model.get("lines") or []
        if not lines:
            raise AvaTaxError("MissingLine", "A transaction needs at least one line.", refers_to="lines")
        default = (model.get("companycode") or "DEFAULT").upper()
        groups: dict[str, list[dict[str, Any]]] = {}
        for line in lines:
            groups.setdefault(str(line.get("companycode") or default).upper(), []).append(line)
        code = model.get("code") or self.sim.ids.uuid()
        docs = [self.create(dict(model, companycode=company, code=code, lines=group))
                for company, group in groups.items()]
        return {"id": docs[0]["id"], "accountId": 0, "code": code, "type": model.get("type") or "SalesOrder",
                "createdDate": iso(self.sim.now()), "transactions": docs}


