"""E-mails to data subjects, through Django's mail framework (EMAIL_* settings).

The address is only ever passed in memory: never to a task, a log line or an audit event.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, reverse

from .models import DataSubjectRequest


def status_url(request: DataSubjectRequest) -> str:
    """The public status page, or "" for a tenant whose slug cannot be a URL (it has no public pages;
    protocol and GPC requests of such a tenant still get their answers, without the link)."""
    try:
        return settings.SITE_URL + reverse("privacy-status", args=[request.tenant.slug, request.reference])
    except NoReverseMatch:
        return ""


def _message(*, to: str, subject: str, lines: list[str]) -> EmailMessage | None:
    if not to:
        return None
    return EmailMessage(subject, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, [to])


def send(message: EmailMessage | None) -> None:
    if message is not None:
        message.send()


def _send(*, to: str, subject: str, lines: list[str]) -> None:
    send(_message(to=to, subject=subject, lines=lines))


def _footer(request: DataSubjectRequest) -> list[str]:
    return [
        "",
        f"Reference: {request.reference}",
        *([f"Follow it here: {url}"] if (url := status_url(request)) else []),
        f"We answer by {request.due_at:%Y-%m-%d}.",
    ]


def verification(*, request: DataSubjectRequest, to: str, link: str) -> None:
    send(verification_message(request=request, to=to, link=link))


def verification_message(*, request: DataSubjectRequest, to: str, link: str) -> EmailMessage | None:
    """Composed apart from sending, so that intake builds it inside the filing's transaction."""
    return _message(
        to=to,
        subject=f"Confirm your privacy request {request.reference}",
        lines=[
            f"We received your {request.get_kind_display().lower()} request ({request.get_regime_display()}) "
            f"for {request.tenant.name}.",
            "",
            "To confirm it was you, open this link within 24 hours (it works once):",
            link,
            "",
            "If you did not ask for this, ignore this e-mail: the request expires unconfirmed.",
            *_footer(request),
        ],
    )


def opt_out_confirmed(*, request: DataSubjectRequest, to: str) -> None:
    send(opt_out_confirmed_message(request=request, to=to))


def opt_out_confirmed_message(*, request: DataSubjectRequest, to: str) -> EmailMessage | None:
    return _message(
        to=to,
        subject=f"Your opt-out {request.reference} is in effect",
        lines=[
            f"{request.tenant.name} will not sell or share your personal information from now on.",
            *_footer(request),
        ],
    )


def extended(*, request: DataSubjectRequest, to: str, reason: str) -> None:
    _send(
        to=to,
        subject=f"Your privacy request {request.reference} needs more time",
        lines=[f"We need more time to answer. The reason: {reason}", *_footer(request)],
    )


def denied(*, request: DataSubjectRequest, to: str, reason_label: str, text: str) -> None:
    _send(
        to=to,
        subject=f"Your privacy request {request.reference} was denied",
        lines=[f"We cannot fulfil your request: {reason_label}.", text, *_footer(request)],
    )


def export_ready(*, request: DataSubjectRequest, to: str, link: str) -> None:
    _send(
        to=to,
        subject=f"Your data export {request.reference} is ready",
        lines=[
            "Your data is ready for download as one ZIP archive: open index.html in it to read your data "
            "explained in plain words (JSON and CSV files for programs sit beside it):",
            link,
            "",
            "The link expires one hour after this e-mail was sent and the archive is then deleted. "
            "To get a new link, ask for one on the status page and confirm by e-mail again.",
            *_footer(request),
        ],
    )


def erasure_done(*, request: DataSubjectRequest, to: str, partly_held: bool) -> None:
    lines = ["We erased the personal data we held about you."]
    if partly_held:
        lines.append("Some records are under a legal hold (a legal obligation to keep them) and are kept "
                     "for as long as the hold lasts; you may file a new erasure request after that.")
    _send(to=to, subject=f"Your erasure request {request.reference} is complete", lines=[*lines, *_footer(request)])
