"""The faults the recovery tests (and bench/faults.py) inject into the real stack: a broker of their
own that can be restarted without persistence, a database that refuses connections, an S3 endpoint
behind a proxy that can be switched off, and the processes (workers, beat) to kill."""

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import psycopg

from .conftest import BIN, ROOT, free_port, wait_for_port

# Short leases, reconcile periods and retry backoffs, so that a fault heals in seconds.
FAST_RECOVERY = {
    "SEARCH_TASK_TIME_LIMIT": "20",  # a first provider call imports its SDK: seconds on a loaded machine
    "SEARCH_LEASE_SECONDS": "25",
    "SEARCH_RECONCILE_SECONDS": "1",
    "SEARCH_MAX_RECOVERIES": "5",
    "TRANSIENT_MAX_RETRIES": "10",
    "TRANSIENT_RETRY_BASE_SECONDS": "0.25",
    "TRANSIENT_RETRY_MAX_SECONDS": "2",
    "DB_CONN_MAX_AGE": "0",
}


class Broker:
    """A redis-server of our own on a free port, started without persistence (as a Redis configured
    with `--save "" --appendonly no` runs): a restart loses every queued message."""

    def __init__(self, workdir: Path):
        self.port, self.workdir, self.process = free_port(), workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Broker":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart(self, *, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


class Beat:
    """`celery beat` with the schedule of settings (the reconciler every SEARCH_RECONCILE_SECONDS)."""

    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path, self.process = env, log_path, None

    def start(self) -> "Beat":
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "beat", "-l", "info", "--max-interval", "1"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process:
            self.log.close()


def children(pid: int) -> list[int]:
    """The pool children of a prefork worker (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


class DatabaseOutage:
    """The test database refuses new connections and loses its open ones (superusers ignore
    CONNECTION LIMIT; ALLOW_CONNECTIONS stops them too), then comes back."""

    def __init__(self, *, name: str, admin_dsn: str):
        self.name, self.admin_dsn = name, admin_dsn

    def _run(self, sql: str, *params) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql, params)

    def begin(self) -> None:
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self._run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                  self.name)

    def end(self) -> None:
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


class SwitchableProxy:
    """A TCP proxy on a free port in front of `target_port`; `off()` closes the listener and every
    open connection (clients get refused), `on()` listens again on the same port."""

    def __init__(self, target_port: int):
        self.port, self.target_port = free_port(), target_port
        self._listener, self._open, self._lock = None, set(), threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self) -> "SwitchableProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def off(self) -> None:
        listener, self._listener = self._listener, None
        if listener:
            listener.close()
        with self._lock:
            for s in list(self._open):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._open.clear()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)


def admin_dsn() -> str:
    """A connection to the server's `postgres` database, as the test database's user (a superuser here)."""
    from django.db import connection

    s = connection.settings_dict
    password = f" password={s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname=postgres{password}"
