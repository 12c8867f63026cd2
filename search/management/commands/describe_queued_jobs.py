import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand

from search.describe_batch import DescribeStage


class Command(BaseCommand):
    help = (
        "The provider stage in batches (with VISION_BATCH_STAGE on): claim queued jobs of tenants that "
        "do not blur faces, describe them, end them. Runs until SIGTERM or SIGINT, then finishes the calls in flight."
    )

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=128, help="provider calls in flight at most")
        parser.add_argument("--batch", type=int, default=64, help="jobs claimed by one statement at most")
        parser.add_argument("--poll", type=float, default=0.1, help="seconds between claims when the queue is empty")
        parser.add_argument(
            "--heartbeat", type=Path, default=None,
            help="a file touched every few seconds while the loop turns (for a container's health check)",
        )

    def handle(self, *args, threads, batch, poll, heartbeat, **options):
        from config.celery import freeze_loaded_objects

        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        freeze_loaded_objects()
        DescribeStage(threads=threads, batch=batch, poll_seconds=poll, heartbeat=heartbeat).run(stop=stop)
