"""The bases every admin derives from (checks sightguard.E201, E203 hold them to it):

- TenantScopedAdmin (and ReadOnlyAdmin): a tenant-owned model's rows, as scoping.tenant_scope
  allows, with what each actor may do declared in `operator_can`, `tenant_admin_can`, `support_can`;
- TenantPageAdmin / TenantPageMixin: a page about one tenant, whose `?tenant=` is resolved
  through the same function (another tenant's or an unknown id is a 404);
- OperatorOnlyAdmin, OperatorOnlyInline: platform rows, the operator's.

Customer content is declared, not special-cased: a subclass lists its content in
`content_fields` (model fields, or names of `content_<name>(obj, request)` methods) and the base
hides it from everyone who is not the row's tenant (support staff and the operator alike) unless
governance.support.grants.can_see_content finds a live grant covering that row; each change page shown
under a grant writes one access-transparency audit event. List pages never show content.

Every change a person makes through these bases is audited (AuditedChanges): a save or delete
writes one audit event in the admin's transaction, naming the fields changed (never their
values); an admin whose save calls a domain function that audits itself passes it the names
(`changed_fields(form, formsets)`) and the base writes nothing more. Timestamps that record
history are read-only.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from governance import audit
from governance.admin.humane import DaysHoursField
from governance.datamap import DATA_MAP
from governance.models import StoredObject, Tenant
from governance.support import grants
from governance.tenancy import scoping

HIDDEN_CONTENT = "Hidden: customer content (visible only under an approved support request)."
ACTIONS = ("view", "add", "change", "delete")


def request_scope(request) -> scoping.TenantScope:
    """scoping.tenant_scope for the request's user, asked once per request."""
    scope = getattr(request, "_sg_tenant_scope", None)
    if scope is None:
        scope = request._sg_tenant_scope = scoping.tenant_scope(user=request.user)
    return scope


class DeclaredPermissions:
    """Django's permission hooks, each asking the admin's one `_allowed(request, action, obj)`."""

    # The operator's concept (agents, controllers, callbacks, platform defaults, tenants): kept off a
    # tenant admin's home and app lists; its pages stay reachable where the admin links to them.
    operator_concept: bool = False

    def has_module_permission(self, request):
        if self.operator_concept and not scoping.is_operator(request.user):
            return False
        return self._allowed(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request):
        return self._allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)


def changed_fields(form, formsets=()) -> list[str]:
    """The names of the fields a person changed on the page: the form's, then `inline.field` of
    each inline row changed, added or deleted (names only: values may be personal)."""
    names = list(form.changed_data) if form is not None else []
    for formset in formsets:
        prefix = formset.model._meta.model_name
        for inline_form in formset.forms:
            if inline_form in getattr(formset, "deleted_forms", ()):
                names.append(f"{prefix}.deleted")
            else:
                names += [f"{prefix}.{name}" for name in inline_form.changed_data if name not in ("DELETE", "id")]
    return list(dict.fromkeys(names))


def is_history_field(field) -> bool:
    """A timestamp that records what happened (created_at, date_joined, ...): never typed by a person."""
    return isinstance(field, models.DateTimeField)


class HumaneValues:
    """Durations typed as days and hours (errors on the field); a one-tenant admin is never asked
    for their tenant (preselected and hidden) nor shown a tenant column."""

    formfield_overrides = {models.DurationField: {"form_class": DaysHoursField}}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Tenant and not scoping.is_operator(request.user):
            choices = list(field.queryset[:2])
            if len(choices) == 1:
                field.initial, field.widget = choices[0].pk, forms.HiddenInput()
        return field

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if "tenant" in shown and not scoping.is_operator(request.user) and len(request_scope(request).tenant_ids) == 1:
            shown.remove("tenant")
        return shown


class AuditedChanges:
    """One audit event per admin save or delete, in the admin's transaction (changeform_view and
    delete_view run inside one). A subclass whose save_model calls a domain function that audits
    does not call super().save_model, and the base then writes nothing more."""

    # The event's action per kind of change; default "<model>.added" / "<model>.changed" / "<model>.deleted".
    audit_actions: dict[str, str] = {}

    def audit_action(self, obj, verb: str) -> str:
        return self.audit_actions.get(verb, f"{obj._meta.model_name}.{verb}")

    def audit_tenant(self, obj):
        return scoping.tenant_id_of(obj) if scoping.is_tenant_owned(type(obj)) else None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        request._sg_generic_save = (obj, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        saved = getattr(request, "_sg_generic_save", None)
        if saved is None:
            return
        obj, change = saved
        del request._sg_generic_save
        fields = changed_fields(form, formsets)
        if change and not fields:
            return  # saved without a change: nothing happened
        verb = "changed" if change else "added"
        audit.record(action=self.audit_action(obj, verb), actor=request.user, tenant=self.audit_tenant(obj),
                     target=obj, metadata={"fields": fields, "via": "admin"})

    def delete_model(self, request, obj):
        target = (obj._meta.label_lower, str(obj.pk))
        audit.record(action=self.audit_action(obj, "deleted"), actor=request.user, tenant=self.audit_tenant(obj),
                     target=target, metadata={"via": "admin"})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:  # one event per row, in the action's transaction
            self.delete_model(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        history = [f.name for f in self.model._meta.concrete_fields if is_history_field(f) and f.editable]
        return readonly + [name for name in history if name not in readonly]


class OperatorOnlyAdmin(HumaneValues, AuditedChanges, DeclaredPermissions, admin.ModelAdmin):
    """Platform rows (no tenant: terms versions, retention defaults, sweeper runs, support staff,
    accounts). The operator may do what `operator_can` says; nobody else anything, except that
    `tenant_admin_can = ("view",)` lets tenant admins read (never write) a platform default."""

    operator_can: tuple[str, ...] = ("view",)
    tenant_admin_can: tuple[str, ...] = ()

    def _allowed(self, request, action, obj=None) -> bool:
        user = request.user
        if scoping.is_operator(user):
            return action in self.operator_can
        return action == "view" and action in self.tenant_admin_can and bool(request_scope(request).tenant_ids)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if self._allowed(request, "view") else queryset.none()



class OperatorOnlyInline(admin.TabularInline):
    """Rows shown inside an operator-only page: the operator may do what `operator_can` says."""

    operator_can: tuple[str, ...] = ("view",)
    extra = 0

    def _allowed(self, request, action, obj=None) -> bool:
        return scoping.is_operator(request.user) and action in self.operator_can

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, "add", obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)


class TenantScopedAdmin(HumaneValues, AuditedChanges, DeclaredPermissions, admin.ModelAdmin):
    """Every admin of a tenant-owned model derives from this (check sightguard.E201).

    Rows come from scoping.tenant_scope: the operator's are every tenant's, a tenant admin's the
    administered tenants', support staff's only what a live grant covers (on admins that declare
    content), anyone else's none. What each may do is declared: `operator_can`,
    `tenant_admin_can` and `support_can` name actions among "view", "add", "change", "delete".
    Another tenant's row is a 404, as is one that does not exist.
    """

    operator_can: tuple[str, ...] = ACTIONS
    tenant_admin_can: tuple[str, ...] = ("view",)
    # Support staff: "view" on admins that declare content_fields, unless this says otherwise.
    support_can: tuple[str, ...] = ()
    # Customer content on this page; see the module docstring. Model fields listed here are the ones
    # the data map declares content (manage.py check holds the two together), and their categories
    # come from the map.
    content_fields: tuple[str, ...] = ()

    # --- rows ------------------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user, scope = request.user, request_scope(request)
        if scoping.is_operator(user):
            return queryset if "view" in self.operator_can else queryset.none()
        scoped = scope.rows(queryset) if "view" in self.tenant_admin_can else queryset.none()
        if scope.support and "view" in self._support_actions():
            # plus what support may open (an account may be support and a tenant's admin)
            scoped = scoped | self.support_rows(request, queryset)
        return scoped

    def support_rows(self, request, queryset) -> QuerySet:
        """The rows support staff may open: those a live grant covers."""
        if not request_scope(request).granted_ids:
            return queryset.none()
        return grants.covered_queryset(queryset, request.user, categories=self._content_categories())

    def _support_actions(self) -> tuple[str, ...]:
        return self.support_can or (("view",) if self.content_fields else ())

    def _allowed(self, request, action, obj=None) -> bool:
        user = request.user
        if scoping.is_operator(user):
            return action in self.operator_can
        if not user.is_staff:
            return False
        scope = request_scope(request)
        if action in self.tenant_admin_can and scope.tenant_ids:
            if obj is None or scope.sees_tenant(scoping.tenant_id_of(obj)):
                return True
        if not scope.support or action not in self._support_actions():
            return False
        return obj is None or self.support_rows(request, self.model._default_manager.filter(pk=obj.pk)).exists()


    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects with "does not exist"; a plain 404 says the same for every id, except to
        # a support engineer whose grant covered this row: they read that their access ended.
        ended = self._ended_grant(request, object_id)
        if ended is not None:
            context = {**self.admin_site.each_context(request), "title": "Your access has ended", "grant": ended}
            return TemplateResponse(request, "admin/governance/access_ended.html", context, status=403)
        raise Http404

    def _ended_grant(self, request, object_id):
        if not request_scope(request).support or not self.content_fields:
            return None
        from governance.support import workflow

        try:
            obj = self.model._default_manager.filter(pk=object_id).first()
        except (ValueError, ValidationError):
            return None
        return workflow.ended_grant(user=request.user, obj=obj) if obj is not None else None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices in forms and autocomplete never list another tenant's rows.
        scope = request_scope(request)
        if db_field.related_model is Tenant:
            kwargs["queryset"] = scope.tenants()
        elif scoping.is_tenant_owned(db_field.related_model):
            kwargs["queryset"] = scope.rows(db_field.related_model._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        # A filter on a relation lists only the values of rows this user sees.
        narrowed = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and "__" not in item and self._is_relation(item):
                item = (item, admin.RelatedOnlyFieldListFilter)
            narrowed.append(item)
        return narrowed

    def _is_relation(self, name) -> bool:
        try:
            return self.model._meta.get_field(name).is_relation
        except FieldDoesNotExist:
            return False

    # --- content ---------------------------------------------------------------------------------

    def _content_categories(self) -> set[str]:
        return DATA_MAP.content_categories(self.model)

    def content_plan(self, request, obj) -> dict:
        """{field: Access or None} for this viewer and row; computed once per request and row."""
        if obj is None or not self.content_fields:
            return {}
        cache = request.__dict__.setdefault("_sg_content_plans", {})
        key = (type(self), obj.pk)
        if key not in cache:
            cache[key] = {
                name: grants.can_see_content(
                    user=request.user, obj=obj, category=DATA_MAP.content_category(self.model, name)
                )
                for name in self.content_fields
            }
        return cache[key]

    def _swapped(self, request, obj) -> dict:
        """Content fields the customer would see as usual, replaced by read-only display callables."""
        plan = self.content_plan(request, obj)
        if not plan:
            return {}
        cache = request.__dict__.setdefault("_sg_content_displays", {})
        key = (type(self), obj.pk)
        if key not in cache:
            cache[key] = {
                name: self._display(request, obj, name, access)
                for name, access in plan.items()
                if access is None or access.under_grant or not self._is_model_field(name)
            }
        return cache[key]

    def _is_model_field(self, name) -> bool:
        try:
            self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return True

    def _display(self, request, obj, name, access):
        try:
            field = self.model._meta.get_field(name)
            label = field.verbose_name
        except (FieldDoesNotExist, AttributeError):  # a content_<name> method, or a reverse relation
            field, label = None, name.replace("_", " ")

        def show(_row):
            if access is None:
                return HIDDEN_CONTENT
            custom = getattr(self, f"content_{name}", None)
            if custom is not None:
                return custom(obj, request, access)
            if field is not None and field.is_relation and field.related_model is StoredObject:
                return self.stored_object_link(getattr(obj, name), request, access)
            return getattr(obj, name)

        show.short_description = label
        show.__name__ = f"content_{name}"
        return show

    def stored_object_link(self, stored, request, access):
        """An object's bytes are shown through a link of at most an hour (never past the grant)."""
        from django.utils import timezone

        from governance.storage import objectstore

        if stored is None or stored.deleted_at is not None:
            return "(deleted)"
        seconds = 3600
        if access is not None and access.under_grant:
            seconds = min(seconds, int((access.grant.approved_until - timezone.now()).total_seconds()))
            if seconds < 1:
                return HIDDEN_CONTENT
        url = objectstore.link(stored, actor=request.user, seconds=seconds)
        return format_html('<a href="{}" rel="noreferrer">open (link valid {} min)</a>', url, max(1, seconds // 60))

    @staticmethod
    def _replace(names, swapped):
        return [swapped.get(n, n) if isinstance(n, str) else n for n in names]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        return exclude + [n for n in self._swapped(request, obj) if n not in exclude]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        swapped = self._swapped(request, obj)
        if not swapped:
            return readonly
        readonly = self._replace(readonly, swapped)
        return readonly + [f for f in swapped.values() if f not in readonly]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        swapped = self._swapped(request, obj)
        fields = self._replace(fields, swapped)
        return fields + [f for f in swapped.values() if f not in fields]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        swapped = self._swapped(request, obj)
        if not swapped or not self.fieldsets:
            return fieldsets
        return [(title, {**opts, "fields": self._replace(opts["fields"], swapped)}) for title, opts in fieldsets]

    def get_list_display(self, request):
        return [f for f in super().get_list_display(request) if f not in self.content_fields]

    def get_search_fields(self, request):
        return [f for f in super().get_search_fields(request) if f.lstrip("^=@") not in self.content_fields]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            by_grant: dict[int, tuple] = {}
            for name, access in self.content_plan(request, obj).items():
                if access is not None and access.under_grant:
                    by_grant.setdefault(access.grant.pk, (access, []))[1].append(name)
            for access, names in by_grant.values():
                grants.record_view(user=request.user, obj=obj, access=access, fields=names)
        return super().render_change_form(request, context, add, change, form_url, obj)


class ReadOnlyAdmin(TenantScopedAdmin):
    operator_can = ("view",)
    tenant_admin_can = ("view",)

    def get_readonly_fields(self, request, obj=None):
        swapped = self._swapped(request, obj)
        names = [f.name for f in self.model._meta.fields]
        return self._replace(names, swapped) + [f for n, f in swapped.items() if n not in names]


class TenantPageMixin:
    """A page about one tenant (or a chooser), whose `?tenant=` goes through scoping.tenant_scope.

    An unknown id, one that is not a number and another tenant's id are the same 404; without
    `?tenant=` the user's only tenant is the page's, and with several there is none (the page
    shows a chooser, `page_tenants`).
    """

    # URL names (admin:<name>) of the pages that take ?tenant= (the isolation tests visit each).
    tenant_pages: tuple[str, ...] = ()

    def page_tenants(self, request) -> QuerySet:
        """The tenants this user may choose on the page: all for the operator, administered ones otherwise."""
        return request_scope(request).tenants().order_by("slug")

    def page_tenant(self, request) -> Tenant | None:
        tenants = self.page_tenants(request)
        wanted = request.GET.get("tenant", "")
        if wanted:
            tenant = tenants.filter(pk=wanted).first() if wanted.isdigit() else None
            if tenant is None:
                raise Http404
            return tenant
        only = list(tenants[:2])
        return only[0] if len(only) == 1 else None


class TenantPageAdmin(TenantPageMixin, TenantScopedAdmin):
    """An admin entry that is one page (no object pages) about a tenant: the operator and tenant
    admins may open it; what it shows comes from `page_view`."""

    operator_can = ("view",)
    tenant_admin_can = ("view",)

    @property
    def tenant_pages(self) -> tuple[str, ...]:
        return (f"{self.model._meta.app_label}_{self.model._meta.model_name}_changelist",)

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request)

    def get_urls(self):
        view = self.admin_site.admin_view(self.changelist_view)
        return [path("", view, name=self.tenant_pages[0])]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self.page_view(request, tenant=self.page_tenant(request))

    def page_view(self, request, *, tenant: Tenant | None):
        raise NotImplementedError
