"""Passing outages of the database, the broker or the object store, retried where they happen.

Every long task derives from `RetriesOutages` (`@shared_task(base=RetriesOutages, ...)`): a
connection error is retried by the task itself after a capped, jittered backoff
(TRANSIENT_RETRY_BASE_SECONDS * 2**n, at most TRANSIENT_RETRY_MAX_SECONDS, TRANSIENT_MAX_RETRIES
times) instead of being acknowledged and lost. A task that runs out of retries calls its
`gave_up(error_code=..., args=..., kwargs=...)` so that its job or request says why on its row;
any other exception (a poison message: data that breaks the task every time) calls
`gave_up(error_code="internal_error", ...)` at once. Every retry is bounded.
"""

import logging
import random

from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.exceptions import ConnectionError as ObjectStoreConnectionError
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

DATABASE = (OperationalError, InterfaceError)
OBJECT_STORE = (ObjectStoreConnectionError, ConnectionClosedError, ReadTimeoutError)
BROKER = (BrokerError, RedisConnectionError, RedisTimeoutError)
TRANSIENT = DATABASE + OBJECT_STORE + BROKER


def error_code(exc: BaseException) -> str:
    """The stable code a job or request ends with when this outage outlasted its retries."""
    if isinstance(exc, DATABASE):
        return "database_unavailable"
    if isinstance(exc, OBJECT_STORE):
        return "object_store_unavailable"
    if isinstance(exc, BROKER):
        return "broker_unavailable"
    if isinstance(exc, SoftTimeLimitExceeded):
        return "time_limit_exceeded"
    return "internal_error"


def backoff(*, retries: int) -> float:
    """Seconds before retry number `retries` + 1: exponential, capped, with up to 25 % jitter."""
    base = settings.TRANSIENT_RETRY_BASE_SECONDS * (2**retries)
    return min(base, settings.TRANSIENT_RETRY_MAX_SECONDS) * (1 + random.random() / 4)


class RetriesOutages(Task):
    """A Celery task base: outages retried with backoff, the rest (and the last retry) given up."""

    abstract = True

    def gave_up(self, *, error_code: str, args: tuple, kwargs: dict) -> None:
        """End the task's job or request with `error_code` (tasks that own one override this)."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except TRANSIENT as exc:
            retries = self.request.retries
            # Run in-process (the embedded default, or called as a function) there is no queue to wait in.
            if self.request.called_directly or self.request.is_eager or retries >= settings.TRANSIENT_MAX_RETRIES:
                self._give_up(exc, args, kwargs)
                raise
            delay = backoff(retries=retries)
            log.warning("%s: %s, retry %d in %.1f s", self.name, type(exc).__name__, retries + 1, delay)
            raise self.retry(countdown=delay, max_retries=settings.TRANSIENT_MAX_RETRIES) from None
        except Exception as exc:
            if isinstance(exc, self._retry_signals()):
                raise
            self._give_up(exc, args, kwargs)
            raise

    @staticmethod
    def _retry_signals():
        from celery.exceptions import Ignore, Reject, Retry

        return (Retry, Ignore, Reject)

    def _give_up(self, exc: BaseException, args, kwargs) -> None:
        code = error_code(exc)
        log.error("%s: gave up (%s, %s)", self.name, code, type(exc).__name__)
        try:
            self.gave_up(error_code=code, args=args, kwargs=kwargs)
        except Exception as second:  # noqa: BLE001 - the outage may outlast us: the reconciler ends it later
            log.error("%s: could not record giving up (%s)", self.name, type(second).__name__)
