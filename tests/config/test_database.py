"""Persistent database connections survive the database ending them (a restart, an outage)."""

import psycopg
import pytest
from django.core.signals import request_started
from django.db import connection


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ends a server backend (PostgreSQL)")
def test_the_next_request_after_the_database_ended_a_kept_connection_gets_a_fresh_one(transactional_db):
    connection.ensure_connection()
    s = connection.settings_dict
    admin = f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    request_started.send(sender=None)  # what each request (and, through Celery's fixup, each task) starts with
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
