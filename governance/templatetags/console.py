"""{% admin_console as console %}: the figures of the admin's home for the signed-in person."""

from django import template

from governance.admin.base import request_scope
from governance.dashboard import console
from governance.tenancy import scoping

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_console(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    if scoping.is_operator(request.user):
        return console(tenant_ids=None)
    tenant_ids = request_scope(request).tenant_ids
    return console(tenant_ids=set(tenant_ids)) if tenant_ids else None
