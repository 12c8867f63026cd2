"""What the status page tells a data subject: where their request stands, why, and what happens next.

Holds nothing personal: anyone with the reference may read it (the e-mail address, the denial's
free text and the download link itself only ever go to the verified address).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import DataSubjectRequest, DenialReason

Kind, Status = DataSubjectRequest.Kind, DataSubjectRequest.Status
EXPORTS = (Kind.ACCESS, Kind.PORTABILITY)


@dataclass(frozen=True, kw_only=True)
class SubjectView:
    next_step: str
    denial_reason: str = ""
    link_sent_at: datetime | None = None
    link_expires_at: datetime | None = None
    link_expired: bool = False
    can_reissue: bool = False
    can_resend: bool = False


def _latest_link(request: DataSubjectRequest):
    if request.archive is None:
        return None
    return request.archive.links.order_by("-created_at").first()


def describe(*, request: DataSubjectRequest) -> SubjectView:
    status, due = request.status, f"{request.due_at:%d %B %Y}"
    if status == Status.PENDING_VERIFICATION:
        return SubjectView(can_resend=True,
                           next_step="Check your e-mail and open the link we sent you to confirm that you made this "
                           "request. The link works once and expires 24 hours after you filed the request; "
                           "unconfirmed, the request lapses and nothing happens.")
    if status == Status.OPEN:
        return SubjectView(next_step=f"You confirmed the request. The organisation reviews it now and answers by {due}.")
    if status == Status.IN_PROGRESS:
        work = "Your archive is being prepared" if request.kind in EXPORTS else "Your data is being erased"
        return SubjectView(next_step=f"{work}. We e-mail you when it is done, by {due} at the latest.")
    if status == Status.DENIED:
        reason = DenialReason(request.denial_reason).label if request.denial_reason in DenialReason.values else ""
        return SubjectView(
            denial_reason=reason,
            next_step="We e-mailed you the details. If you disagree you may file a new request with more "
                      "information, and you have the right to complain to a data protection authority "
                      "(in California: the California Privacy Protection Agency).",
        )
    if status == Status.EXPIRED:
        return SubjectView(next_step="The request was never confirmed and has lapsed. File a new one if you still want it.")
    if status == Status.CANCELLED:
        return SubjectView(next_step="The request was withdrawn. File a new one if you still want it.")
    # Fulfilled.
    if request.kind in EXPORTS:
        link = _latest_link(request)
        expires = link.expires_at if link else None
        if request.archive is not None and request.archive.deadline and expires:
            expires = min(expires, request.archive.deadline)
        expired = expires is None or expires <= timezone.now()
        return SubjectView(
            link_sent_at=link.created_at if link else None,
            link_expires_at=expires,
            link_expired=expired,
            can_reissue=True,
            next_step=(
                "The link has expired and the archive is deleted. Ask for a new one below: we e-mail you a "
                "confirmation link first, then a new download link." if expired else
                "Download the archive from the link in our e-mail before it expires; open index.html in it "
                "to read your data. Afterwards the archive is deleted."
            ),
        )
    if request.kind == Kind.ERASURE:
        return SubjectView(next_step="Your data is erased. Records the law obliges us to keep stay until that "
                                     "obligation ends; our e-mail says whether any do.")
    if request.kind == Kind.OPT_OUT:
        return SubjectView(next_step="Your opt-out is in force: your data is not sold or shared from now on.")
    return SubjectView(next_step="Your request is complete.")
