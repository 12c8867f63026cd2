"""Support-access mail: the tenant's admins hear of every request and decision."""


from django.db import transaction

from governance.datamap import Category
from governance.models import AccessRequest, Membership


def notify(request: AccessRequest, event: str) -> None:
    def queue(pk=request.pk):
        from governance.tasks import notify_access_request

        notify_access_request.delay(pk, event)

    transaction.on_commit(queue)


def send_notification(*, request_id: int, event: str) -> int:
    """E-mail whoever must know: the tenant's admins of a new request; the requester of its outcome."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse

    request = AccessRequest.objects.select_related("tenant", "requester").filter(pk=request_id).first()
    if request is None:
        return 0
    admins = [
        m.user
        for m in Membership.objects.filter(tenant_id=request.tenant_id, role=Membership.Role.ADMIN, user__is_active=True)
        .exclude(user_id=request.requester_id)
        .select_related("user")
    ]
    if event == "requested":
        recipients = [u.email for u in admins]
    else:
        recipients = [request.requester.email]
    if event in ("expired", "revoked"):
        recipients += [u.email for u in admins]
    link = settings.SITE_URL + reverse("admin:governance_accessrequest_change", args=[request.pk])
    scope = ", ".join(
        [dict(Category.choices).get(c, c) for c in request.scope_categories]
        + [f"{o['type']} {o['id']}" for o in request.scope_objects]
    )
    lines = [
        f"Support access request #{request.pk} for tenant {request.tenant.slug}: {event}.",
        "",
        f"Ticket: {request.ticket}",
        f"Reason: {request.get_reason_code_display()} - {request.reason_text}",
        f"Scope: {scope}",
        f"Hours asked: {request.hours_requested}",
    ]
    if event == "requested":
        lines.append(f"Answer by: {request.answer_by:%Y-%m-%d %H:%M} UTC (unanswered requests expire).")
    if request.approved_until:
        lines.append(f"Access until: {request.approved_until:%Y-%m-%d %H:%M} UTC")
    if request.decision_comment:
        lines.append(f"Comment: {request.decision_comment}")
    lines += ["", f"Review it: {link}"]
    subject = f"[Sightguard] Support access request #{request.pk} ({request.ticket}) {event}"
    return send_mail(subject, "\n".join(lines), None, sorted(set(recipients)), fail_silently=False)
