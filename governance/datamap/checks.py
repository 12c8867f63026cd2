"""`manage.py check` keeps the data map whole: every model holding a personal field is declared (or
exempt, with its reason), every category governs something, every declared path resolves, and the
admin hides exactly the content the map declares."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from encrypted_model_fields.fields import EncryptedMixin

from .categories import SPECS, Category
from .declarations import BUCKET_OBJECT, DATA_MAP, DataMap, Declaration


def personal_fields(model: type[models.Model]) -> list[str]:
    """Fields that hold or point at a person: encrypted values, blind indexes, accounts."""
    found = []
    for f in model._meta.concrete_fields:
        if isinstance(f, EncryptedMixin) or f.name.endswith(("subject_index", "email_index")):
            found.append(f.name)
        elif f.is_relation and f.related_model is not None and f.related_model._meta.label == settings.AUTH_USER_MODEL:
            found.append(f.name)
    return found


def resolve(model: type[models.Model], path: str) -> models.Field | None:
    """The field a lookup path (a__b__c) ends at, or None when a step does not exist."""
    field = None
    for step in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(step)
        except FieldDoesNotExist:
            return None
        model = field.related_model if field.is_relation else None
    return field


def project_models() -> list[type[models.Model]]:
    """Concrete models of the project's own apps (not Django's or third parties')."""
    base = Path(settings.BASE_DIR).resolve()
    found = []
    for config in apps.get_app_configs():
        if base in Path(config.path).resolve().parents and ".venv" not in Path(config.path).parts:
            found += [m for m in config.get_models() if not m._meta.proxy and not m._meta.abstract]
    return found


def _error(msg: str, obj, code: int, hint: str | None = None) -> Error:
    return Error(msg, hint=hint, obj=obj, id=f"sightguard.E{code}")


def _path_errors(d: Declaration) -> list[Error]:
    errors = []
    where = f"{d.name}"

    def bad(kind, path, why="does not resolve"):
        errors.append(_error(f"{where}: the {kind} {path!r} {why}.", d.model, 103))

    if d.subject:
        f = resolve(d.model, d.subject)
        if f is None:
            bad("subject path", d.subject)
        elif not f.name.endswith("index"):
            bad("subject path", d.subject, "does not end at a blind index")
    if d.tenant_path is not None:
        f = resolve(d.model, d.tenant_path)
        from governance.models import Tenant

        if f is None or not f.is_relation or f.related_model is not Tenant:
            bad("tenant path", d.tenant_path, "does not lead to a tenant (set TENANT_FIELD, or tenant_scoped=False)")
    if d.retention is not None:
        f = resolve(d.model, d.retention.timestamp)
        if not isinstance(f, models.DateTimeField):
            bad("retention timestamp", d.retention.timestamp, "is not a date-time field")
    for name in d.anonymise:
        if resolve(d.model, name) is None or "__" in name:
            bad("anonymised field", name)
    for key, path in (d.export_fields or {}).items():
        if resolve(d.model, path) is None:
            bad(f"export field {key!r} path", path)
    for name in d.content:
        if name == BUCKET_OBJECT:
            if resolve(d.model, "key") is None:
                bad("content", name, "is declared on a model that records no bucket object")
        elif resolve(d.model, name) is None or "__" in name:
            bad("content field", name)
    if d.stored_object:
        f = resolve(d.model, d.stored_object)
        if f is None or not f.is_relation or f.related_model._meta.label_lower != "governance.storedobject":
            bad("stored object field", d.stored_object)
    if d.split is not None and resolve(d.model, d.split.field) is None:
        bad("split field", d.split.field)
    return errors


def _split_errors(data_map: DataMap) -> list[Error]:
    errors = []
    seen: set[str] = set()
    for d in data_map.declarations():
        if d.split is None or d.label in seen:
            continue
        seen.add(d.label)
        parts = data_map.for_model(d.model)
        values = [v for p in parts for v in p.split.values]
        if len(values) != len(set(values)):
            errors.append(_error(f"{d.label}: a value is in two parts of its split.", d.model, 105))
        f = resolve(d.model, d.split.field)
        choices = {c[0] for c in (f.choices or [])} if f is not None else set()
        if choices - set(values):
            errors.append(_error(
                f"{d.label}: rows with {d.split.field} in {sorted(choices - set(values))} belong to no category.", d.model, 105
            ))
    return errors


def _admin_errors(data_map: DataMap, admin_site) -> list[Error]:
    """Each admin hides what the map calls content: its model-field content_fields are the map's."""
    errors = []
    for model, model_admin in admin_site._registry.items():
        listed = set(getattr(model_admin, "content_fields", ()) or ())
        if not listed and not data_map.content_categories(model):
            continue
        declared = {n for d in data_map.for_model(model) for n in d.content if n != BUCKET_OBJECT}
        fields = {n for n in listed if resolve(model, n) is not None}
        for name in sorted(fields - declared):
            errors.append(_error(f"{type(model_admin).__name__} hides {name!r}, which the data map does not declare content.", model, 106))
        for name in sorted(declared - fields):
            errors.append(_error(f"{type(model_admin).__name__} shows {name!r}, which the data map declares content.", model, 106))
    return errors


def check_data_map(data_map: DataMap, *, models_to_cover: Iterable[type[models.Model]], admin_site=None) -> list[Error]:
    errors: list[Error] = []
    exempt = data_map.exemptions()
    for model in models_to_cover:
        found = personal_fields(model)
        if found and not data_map.for_model(model) and model._meta.label_lower not in exempt:
            errors.append(_error(
                f"{model._meta.label_lower} holds personal data ({', '.join(found)}) but is not in the data map.",
                model, 101, hint="Declare it in its app's personal_data.py, or exempt it there with the reason.",
            ))
    for category in Category:
        declared = data_map.of_category(category)
        if not declared:
            errors.append(_error(f"The category {category.value!r} governs no model.", None, 102))
            continue
        has_default = SPECS[category].retention is not None
        timed = [d for d in declared if d.retention is not None]
        if has_default and not timed:
            errors.append(_error(
                f"The category {category.value!r} has a retention default but no declaration says when its rows age.", None, 104
            ))
        if timed and not has_default:
            errors.append(_error(
                f"{timed[0].name} declares retention, but its category has no retention default.", timed[0].model, 104
            ))
    for d in data_map.declarations():
        errors += _path_errors(d)
    errors += _split_errors(data_map)
    if admin_site is not None:
        errors += _admin_errors(data_map, admin_site)
    return errors


@register()
def data_map_check(app_configs=None, **kwargs):
    from django.contrib import admin

    return check_data_map(DATA_MAP, models_to_cover=project_models(), admin_site=admin.site)
