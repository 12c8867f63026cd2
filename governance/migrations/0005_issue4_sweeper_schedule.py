"""Register the transient-object sweeper with django-celery-beat: every minute (editable in the admin)."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Sweep transient objects"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "governance.tasks.sweep_objects",
            "interval": every_minute,
            "enabled": True,
            "expire_seconds": 60,  # a pass that waited a minute in the queue is replaced by the next one
            "description": "Deletes objects past their deadline and reconciles bucket and database.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0004_issue4_sweep_run"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = []  # the schedule is declared in settings (CELERY_BEAT_SCHEDULE)
