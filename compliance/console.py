"""The request queue on the admin's home (a panel of governance.dashboard): what is overdue, what
is due within 7 days, the next requests by deadline."""

from datetime import datetime

from governance.dashboard import register_panel

from . import deadlines
from .models import DataSubjectRequest


@register_panel
def request_queue(*, tenant_ids: set[int] | None, now: datetime) -> dict:
    requests = DataSubjectRequest.objects.all()
    if tenant_ids is not None:
        requests = requests.filter(tenant_id__in=tenant_ids)
    waiting = deadlines.open_requests(requests)
    return {
        "template": "admin/compliance/console_requests.html",
        "overdue": deadlines.overdue(requests, now=now).count(),
        "due_soon": deadlines.due_soon(requests, now=now).count(),
        "to_review": waiting.filter(status=DataSubjectRequest.Status.OPEN).count(),
        "next": list(waiting.select_related("tenant").order_by("due_at")[:8]),
        "now": now,
    }
