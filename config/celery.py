import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init, worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("sightguard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_a_wrong_encryption_key(**_):
    from governance.crypto import check_encryption_key

    check_encryption_key()


def freeze_loaded_objects() -> None:
    """Move everything loaded at start-up (Django, the URLconf, the providers' SDKs, boto3) into
    the garbage collector's permanent generation.

    A worker process holds ~150 MB of module objects; without this every full collection walks them
    all, which cost an erasure of 40,000 rows about 0.1 s (a third of its time, bench/README.md).
    Prefork children also keep sharing those pages with their parent instead of copying them.
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the whole URLconf now, not in a first task)
    gc.freeze()


@worker_ready.connect
def _freeze_after_start_up(**_):  # the main process (solo and threads pools run tasks here)
    freeze_loaded_objects()


@worker_process_init.connect
def _freeze_in_child(**_):  # prefork children
    freeze_loaded_objects()


@task_prerun.connect
def _task_log_context(task_id=None, task=None, **_):
    from governance import logs

    logs.task_started(task_id=task_id, task_name=task.name)


@task_postrun.connect
def _task_counted(task_id=None, task=None, state=None, **_):
    from governance import logs

    logs.task_ended(task_id=task_id, task_name=task.name, state=state or "unknown")


@task_postrun.connect
def _record_periodic_run(task=None, state=None, **_):  # in a worker, or in beat's process (embedded default)
    from governance.periodic import record_run

    record_run(task=task.name, state=state or "")
