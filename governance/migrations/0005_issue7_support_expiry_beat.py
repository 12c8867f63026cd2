"""Celery beat (django-celery-beat): expire support requests and grants every minute."""

from django.db import migrations

TASK_NAME = "support: expire requests and grants"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={"task": "governance.tasks.expire_support_requests", "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0004_issue7_support_access"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = []  # the schedule is declared in settings (CELERY_BEAT_SCHEDULE)
