from django.db import models


class PeriodicTaskRun(models.Model):
    """The last time each periodic task (CELERY_BEAT_SCHEDULE) really ran in a worker or in beat's
    process: written when the task ends, not when beat sends it (a message nobody takes is no run).
    Read through governance.periodic.periodic_runs."""

    task = models.CharField(max_length=200, primary_key=True)
    last_run_at = models.DateTimeField()
    last_state = models.CharField(max_length=20)  # SUCCESS, FAILURE, RETRY (Celery's states)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "periodic task"

    def __str__(self):
        return self.task
