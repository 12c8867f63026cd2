"""Values as people read them: people by e-mail, durations in days and hours (shown and typed),
consent states in words. Used by the admin pages; nothing here decides anything."""

from datetime import timedelta

from django import forms

from governance.models import User

CONSENT_WORDS = {
    "accepted": "Accepted",
    "not_accepted": "Not accepted yet",
    "revoked": "Revoked",
    "reacceptance_required": "New terms waiting for acceptance",
    "no_terms": "No terms published",
}


def person(user) -> str:
    """A person as the admin shows them: their e-mail (the pages that call this are seen only by
    whoever may see it: the tenant's admins, the operator, the engineer themself)."""
    return user.email if user is not None else "-"


def people_by_label(labels) -> dict[str, str]:
    """{"user:12": "alice@acme.example", ...} for audit actors; other labels stay as they are."""
    ids = {int(label.split(":")[1]) for label in labels if label.startswith("user:") and label[5:].isdigit()}
    return {f"user:{u.pk}": person(u) for u in User.objects.filter(pk__in=ids)}


def _unit(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def duration_words(value: timedelta | None) -> str:
    """"2555 days", "1 day 6 hours", "1 hour", "5 minutes": as a person would say it."""
    if value is None:
        return "no limit"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [_unit(n, u) for n, u in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts[:2]) or _unit(seconds, "second")


class DaysHoursWidget(forms.MultiWidget):
    """Days, hours and minutes (minutes for the short-lived categories, e.g. transient images)."""

    template_name = "admin/governance/widgets/days_hours.html"

    def __init__(self, attrs=None):
        number = {"min": "0", "step": "1", "style": "width:5em", **(attrs or {})}
        super().__init__([
            forms.NumberInput(attrs=number),
            forms.NumberInput(attrs={**number, "max": "23"}),
            forms.NumberInput(attrs={**number, "max": "59"}),
        ], attrs)

    def decompress(self, value):
        if not value:
            return [None, None, None]
        seconds = int(value.total_seconds())
        return [seconds // 86400, (seconds % 86400) // 3600, (seconds % 3600) // 60]


class DaysHoursField(forms.MultiValueField):
    """A duration typed as days and hours; errors are on this field."""

    widget = DaysHoursWidget

    def __init__(self, *, required=True, **kwargs):
        kwargs.pop("max_length", None)
        fields = (
            forms.IntegerField(min_value=0, required=False, error_messages={"invalid": "Days must be a whole number."}),
            forms.IntegerField(min_value=0, max_value=23, required=False,
                               error_messages={"invalid": "Hours must be a whole number (0-23)."}),
            forms.IntegerField(min_value=0, max_value=59, required=False,
                               error_messages={"invalid": "Minutes must be a whole number (0-59)."}),
        )
        super().__init__(fields, required=required, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or all(v in (None, "") for v in data_list):
            if self.required:
                raise forms.ValidationError("Give a duration in days and hours.", code="required")
            return None
        days, hours, minutes = (int(v or 0) for v in (list(data_list) + [0, 0, 0])[:3])
        return timedelta(days=days, hours=hours, minutes=minutes)
