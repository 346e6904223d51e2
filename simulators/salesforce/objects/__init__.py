"""The sObject registry: the org's objects and fields (request bodies' JSON Schemas are in
``schemas/``). It drives describe, field validation, required fields, picklists, types, relationships (for SOQL parent paths and child subqueries) and id key prefixes.

Objects are declared in ``standard.py`` (Sales Cloud objects) and ``billing.py`` (the Salesforce
Billing ``blng__`` mirror objects plus custom fields); both use the helpers below.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_TYPES = ("string", "textarea", "email", "url", "phone", "picklist")
AUDIT_FIELDS = ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp")


@dataclass
class Field:
    name: str
    type: str = "string"  # id string textarea email url phone picklist boolean double currency percent int date datetime reference
    label: str = ""
    required: bool = False  # nillable false, createable, no default -> REQUIRED_FIELD_MISSING
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    length: int = 255
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    default: Any = None
    scale: int = 2
    auto_number: bool = False
    calculated: bool = False

    def __post_init__(self):
        if not self.label:
            base = self.name[:-3] if self.name.endswith("__c") else self.name
            self.label = base.replace("blng__", "").replace("_", " ")

    @property
    def nillable(self) -> bool:
        return not self.required and self.type not in ("boolean", "id") and not self.auto_number

    def describe(self) -> dict[str, Any]:
        soap = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "double": "xsd:double",
                "currency": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "date": "xsd:date",
                "datetime": "xsd:dateTime"}.get(self.type, "xsd:string")
        return {
            "name": self.name, "label": self.label, "type": self.type, "soapType": soap,
            "length": self.length if self.type in ("string", "textarea", "email", "url", "phone", "picklist") else 0,
            "precision": 18 if self.type in ("double", "currency", "percent") else 0,
            "scale": self.scale if self.type in ("double", "currency", "percent") else 0,
            "digits": 9 if self.type == "int" else 0,
            "nillable": self.nillable, "createable": self.createable and not self.auto_number and not self.calculated,
            "updateable": self.updateable and not self.auto_number and not self.calculated,
            "defaultedOnCreate": self.default is not None or self.type == "boolean" or self.auto_number,
            "defaultValue": self.default if self.type == "boolean" else None,
            "externalId": self.external_id, "unique": self.unique, "idLookup": self.external_id or self.type == "id",
            "autoNumber": self.auto_number, "calculated": self.calculated, "custom": self.name.endswith("__c"),
            "filterable": True, "sortable": self.type != "textarea", "groupable": self.type not in ("double", "currency"),
            "caseSensitive": False, "restrictedPicklist": self.restricted,
            "picklistValues": [{"active": True, "defaultValue": v == self.default, "label": v, "validFor": None,
                                "value": v} for v in self.picklist],
            "referenceTo": list(self.reference_to), "relationshipName": self.relationship_name,
            "cascadeDelete": False, "nameField": self.name == "Name",
            # the rest of DescribeFieldResult's keys (REST describe), with a standard field's values
            "aggregatable": self.type != "textarea",
            "aiPredictionField": False,
            "byteLength": (self.length * 3) if self.type in TEXT_TYPES else (18 if self.type in ("id", "reference")
                                                                            else 0),
            "calculatedFormula": None, "compoundFieldName": None, "controllerName": None,
            "defaultValueFormula": None, "dependentPicklist": False, "deprecatedAndHidden": False,
            "displayLocationInDecimal": False, "encrypted": False, "extraTypeInfo": None,
            "filteredLookupInfo": None, "formulaTreatNullNumberAsZero": False, "highScaleNumber": False,
            "htmlFormatted": False, "inlineHelpText": None, "mask": None, "maskType": None,
            "namePointing": len(self.reference_to) > 1, "permissionable": self.nillable and not self.calculated,
            "polymorphicForeignKey": len(self.reference_to) > 1, "queryByDistance": False,
            "referenceTargetField": None, "relationshipOrder": None, "restrictedDelete": False,
            "searchPrefilterable": self.type == "reference", "writeRequiresMasterRead": False,
        }


@dataclass
class SObject:
    name: str
    key_prefix: str
    fields: dict[str, Field]
    label: str = ""
    label_plural: str = ""
    custom: bool = False
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    queryable: bool = True
    event: bool = False  # platform event (__e): publish-only
    change_events: bool = True
    auto_number_format: str | None = None
    children: dict[str, tuple[str, str]] = field(default_factory=dict)  # relationshipName -> (child, field)

    def __post_init__(self):
        self._lower = {k.lower(): f for k, f in self.fields.items()}
        self._rel = {f.relationship_name.lower(): f for f in self.fields.values() if f.relationship_name}
        if not self.label:
            self.label = self.name.replace("blng__", "").replace("__c", "").replace("_", " ")
        if not self.label_plural:
            self.label_plural = self.label + "s"

    def field(self, name: str) -> Field | None:
        return self._lower.get(name.lower())

    def relationship(self, name: str) -> Field | None:
        return self._rel.get(name.lower())

    @property
    def change_event_name(self) -> str:
        return (self.name[:-3] + "__ChangeEvent") if self.name.endswith("__c") else self.name + "ChangeEvent"

    def describe_global_entry(self, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "name": self.name, "label": self.label, "labelPlural": self.label_plural, "keyPrefix": self.key_prefix,
            "custom": self.custom, "createable": self.createable, "updateable": self.updateable and not self.event,
            "deletable": self.deletable and not self.event, "queryable": self.queryable and not self.event,
            "retrieveable": not self.event, "searchable": not self.event, "triggerable": True,
            "layoutable": not self.event, "replicateable": not self.event, "undeletable": not self.event,
            "activateable": False, "associateEntityType": None, "associateParentEntity": None,
            "customSetting": False, "deepCloneable": False, "deprecatedAndHidden": False, "feedEnabled": False,
            "hasSubtypes": False, "isInterface": False, "isSubtype": False,
            "mergeable": self.name in ("Account", "Contact", "Case"), "mruEnabled": not self.event,
            "urls": {"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
        }

    def describe(self, version: str, registry: "Registry") -> dict[str, Any]:
        out = self.describe_global_entry(version)
        out["fields"] = [f.describe() for f in self.fields.values()]
        out["childRelationships"] = [
            {"childSObject": child, "field": fname, "relationshipName": rel, "cascadeDelete": False,
             "deprecatedAndHidden": False, "restrictedDelete": False}
            for rel, (child, fname) in self.children.items()]
        out["recordTypeInfos"] = []
        out.update({   # the rest of DescribeSObjectResult's keys (REST describe)
            "actionOverrides": [], "compactLayoutable": not self.event, "defaultImplementation": None,
            "extendedBy": None, "extendsInterfaces": None, "implementedBy": None, "implementsInterfaces": None,
            "listviewable": None, "lookupLayoutable": None, "namedLayoutInfos": [], "networkScopeFieldName": None,
            "searchLayoutable": not self.event, "sobjectDescribeOption": "FULL",
            "supportedScopes": [{"label": "All " + self.label_plural.lower(), "name": "everything"},
                                *([{"label": "My " + self.label_plural.lower(), "name": "mine"}]
                                  if "OwnerId" in self.fields else [])],
        })
        return out


def standard_fields(name_field: Field | None = Field("Name", required=True, length=80), owner: bool = True) -> list[Field]:
    out = [Field("Id", "id", createable=False, updateable=False, length=18),
           Field("IsDeleted", "boolean", createable=False, updateable=False, default=False)]
    if name_field is not None:
        out.append(name_field)
    out += [Field("CreatedDate", "datetime", createable=False, updateable=False),
            Field("CreatedById", "reference", reference_to=("User",), relationship_name="CreatedBy",
                  createable=False, updateable=False),
            Field("LastModifiedDate", "datetime", createable=False, updateable=False),
            Field("LastModifiedById", "reference", reference_to=("User",), relationship_name="LastModifiedBy",
                  createable=False, updateable=False),
            Field("SystemModstamp", "datetime", createable=False, updateable=False)]
    if owner:
        out.append(Field("OwnerId", "reference", reference_to=("User",), relationship_name="Owner"))
    return out


def make(name: str, prefix: str, fields: list[Field], *, name_field: Field | None = Field("Name", required=True, length=80),
         owner: bool = True, **kw: Any) -> SObject:
    all_fields = standard_fields(name_field, owner) + fields
    return SObject(name, prefix, {f.name: f for f in all_fields}, custom=name.endswith("__c"), **kw)


class Registry:
    def __init__(self, objects: list[SObject]):
        self.objects = {o.name: o for o in objects}
        self._lower = {o.name.lower(): o for o in objects}
        self.by_prefix = {o.key_prefix: o for o in objects}
        for o in objects:  # wire child relationships from the children's reference fields
            for f in o.fields.values():
                child_rel = getattr(f, "child_relationship", None)
                for target in f.reference_to:
                    if child_rel and target in self.objects:
                        self.objects[target].children[child_rel] = (o.name, f.name)
        for o in objects:
            o._children_lower = {k.lower(): (k, v) for k, v in o.children.items()}

    def get(self, name: str) -> SObject | None:
        return self._lower.get(name.lower())

    def child(self, parent: SObject, rel: str) -> tuple[str, SObject, str] | None:
        hit = parent._children_lower.get(rel.lower())
        if not hit:
            return None
        rel_name, (child, fname) = hit
        return rel_name, self.objects[child], fname

    def for_id(self, record_id: str) -> SObject | None:
        return self.by_prefix.get(record_id[:3])


def ref(name: str, to: str, rel: str | None = None, child: str | None = None, **kw: Any) -> Field:
    """A lookup field; ``child`` names the relationship on the parent (for child subqueries)."""
    if rel is None:
        rel = name[:-3] + "__r" if name.endswith("__c") else name[:-2]
    f = Field(name, "reference", reference_to=(to,), relationship_name=rel, length=18, **kw)
    f.child_relationship = child  # type: ignore[attr-defined]
    return f


def build_registry() -> Registry:
    from .billing import billing_objects
    from .standard import standard_objects
    return Registry(standard_objects() + billing_objects())


REGISTRY = build_registry()
