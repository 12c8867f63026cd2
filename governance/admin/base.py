"""The base of every admin page that shows tenant rows: scoped by governance.tenancy.scoping.

Customer content is declared, not special-cased: a subclass lists its content in
`content_fields` (model fields, or names of `content_<name>(obj, request)` methods) and the base
hides it from everyone who is not the row's tenant (support staff and the operator alike) unless
governance.support.grants.can_see_content finds a live grant covering that row; each change page shown
under a grant writes one access-transparency audit event. List pages never show content.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html

from governance.datamap import DATA_MAP
from governance.models import StoredObject, Tenant
from governance.support import grants
from governance.tenancy import scoping

HIDDEN_CONTENT = "Hidden: customer content (visible only under an approved support request)."


class TenantScopedAdmin(admin.ModelAdmin):
    """Operators see every tenant's rows; a tenant admin sees their tenants' rows; others nothing.

    Set `tenant_admin_can` to the actions ("add", "change", "delete") tenant admins may take.
    Support staff see only rows covered by a live grant, and only on admins that declare content.
    """

    tenant_admin_can: tuple[str, ...] = ()
    operator_can: tuple[str, ...] = ("add", "change", "delete")
    # Customer content on this page; see the module docstring. Model fields listed here are the ones
    # the data map declares content (manage.py check holds the two together), and their categories
    # come from the map.
    content_fields: tuple[str, ...] = ()

    # --- rows ------------------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scoped = scoping.for_admin_user(queryset, request.user)
        if self.content_fields and self._as_support(request):
            # plus whatever a live support grant covers (an account may be support and a tenant's admin)
            scoped = scoped | self._covered(request, queryset)
        return scoped

    def _covered(self, request, queryset):
        return grants.covered_queryset(queryset, request.user, categories=self._content_categories())

    def _as_support(self, request) -> bool:
        user = request.user
        if scoping.is_operator(user) or not user.is_staff:
            return False
        cached = getattr(request, "_sg_is_support", None)
        if cached is None:
            cached = request._sg_is_support = grants.is_support(user)
        return cached

    def _allowed(self, request, action, obj=None):
        user = request.user
        if scoping.is_operator(user):
            return action == "view" or action in self.operator_can
        if not user.is_staff:
            return False
        tenants = scoping.administered_tenant_ids(user)
        as_admin = action == "view" or action in self.tenant_admin_can
        if tenants and as_admin and (obj is None or self._tenant_id_of(obj) in tenants):
            return True
        # Support staff: read-only, on pages that declare content, for rows a live grant covers.
        if action != "view" or not self.content_fields or not self._as_support(request):
            return False
        return obj is None or self._covered(request, self.model._default_manager.filter(pk=obj.pk)).exists()

    def _tenant_id_of(self, obj):
        path = scoping.tenant_path(type(obj)).split("__")
        for step in path[:-1]:
            obj = getattr(obj, step)
        return getattr(obj, f"{path[-1]}_id")

    def has_module_permission(self, request):
        return self._allowed(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request):
        return self._allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices in forms and autocomplete never list another tenant's rows.
        if db_field.related_model is Tenant and not scoping.is_operator(request.user):
            kwargs["queryset"] = Tenant.objects.filter(pk__in=scoping.administered_tenant_ids(request.user))
        elif hasattr(db_field.related_model, "tenant") or hasattr(db_field.related_model, "TENANT_FIELD"):
            kwargs["queryset"] = scoping.for_admin_user(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
    operator_can = ()

    def get_readonly_fields(self, request, obj=None):
        swapped = self._swapped(request, obj)
        names = [f.name for f in self.model._meta.fields]
        return self._replace(names, swapped) + [f for n, f in swapped.items() if n not in names]
