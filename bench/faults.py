"""Faults, each injected N times into the real stack: how often every job ended right, and how long
recovery took (the failed part back → every job ended).

Each run is one end-to-end test of tests/e2e/test_recovery.py in its own pytest process (a real
Celery worker and beat, a Redis of its own, PostgreSQL, moto's S3 server, the fake provider): a run
is right when its assertions hold (every job done once, no image left, every provider call counted).
The tests write their recovery times to SIGHTGUARD_RECOVERY_LOG.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python -m bench.faults --runs 5
    .venv/bin/python -m bench.faults --runs 3 --fault database --fault broker
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = "tests/e2e/test_recovery.py"
FAULTS = {
    "thread worker killed, CPU stage": "test_a_thread_pool_worker_killed_mid_stage_loses_no_job[prepare]",
    "thread worker killed, provider stage": "test_a_thread_pool_worker_killed_mid_stage_loses_no_job[describe]",
    "prefork child killed, CPU stage": "test_a_prefork_child_killed_mid_stage_is_redelivered_and_resumes[prepare]",
    "prefork child killed, provider stage": "test_a_prefork_child_killed_mid_stage_is_redelivered_and_resumes[describe]",
    "broker restarted without persistence": "test_queued_jobs_lost_with_a_restarted_broker_are_requeued",
    "database refusing connections 6 s": "test_jobs_in_flight_survive_the_database_refusing_connections",
    "object store unreachable 4 s": "test_jobs_in_flight_survive_the_object_store_being_unreachable",
}


def run_once(test: str, log: Path) -> tuple[bool, float | None, float]:
    env = {**os.environ, "SIGHTGUARD_E2E": "1", "SIGHTGUARD_RECOVERY_LOG": str(log)}
    before = log.read_text().count("\n") if log.exists() else 0
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{TESTS}::{test}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    wall = time.monotonic() - started
    lines = log.read_text().splitlines()[before:] if log.exists() else []
    recovery = json.loads(lines[-1])["recovery_seconds"] if lines else None
    if done.returncode:
        print(done.stdout[-2000:], file=sys.stderr)
    return done.returncode == 0, recovery, wall


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fault", action="append", help="a word of the fault's name (thread, prefork, broker, ...)")
    args = parser.parse_args(argv)
    chosen = {k: v for k, v in FAULTS.items() if not args.fault or any(w in k for w in args.fault)}
    log = Path(tempfile.mkdtemp()) / "recovery.jsonl"
    print(f"load before: {os.getloadavg()[0]:.2f}")
    print("| fault | runs right | recovery, median (min-max) | wall per run |")
    print("| --- | --- | --- | --- |")
    for name, test in chosen.items():
        results = [run_once(test, log) for _ in range(args.runs)]
        right = sum(ok for ok, _, _ in results)
        times = [r for ok, r, _ in results if ok and r is not None]
        spread = f"{statistics.median(times):.1f} s ({min(times):.1f}-{max(times):.1f})" if times else "-"
        wall = statistics.median(w for _, _, w in results)
        print(f"| {name} | {right}/{len(results)} | {spread} | {wall:.0f} s |", flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
