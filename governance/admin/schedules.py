"""django-celery-beat's pages: the periodic tasks stay on the operator's home; the schedule
internals (clocked, crontab, interval, solar) are listed only when asked for (?show=internals)."""

from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule


class AskedFor:
    def has_module_permission(self, request):
        return super().has_module_permission(request) and request.GET.get("show") == "internals"


for model, base in (
    (ClockedSchedule, beat_admin.ClockedScheduleAdmin),
    (CrontabSchedule, beat_admin.CrontabScheduleAdmin),
    (IntervalSchedule, beat_admin.IntervalScheduleAdmin),
    (SolarSchedule, beat_admin.SolarScheduleAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (AskedFor, base), {}))
