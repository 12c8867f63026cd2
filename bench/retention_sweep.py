"""Retention sweep on PostgreSQL: governance.retention.enforce next to plain-SQL keyset deletes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sg_bench6 .venv/bin/python bench/retention_sweep.py

Creates the database if missing and migrates it. For each size (100,000 and 1,000,000 expired
UsageEvent rows, plus a quarter as many young rows that must stay), it fills the table with
INSERT ... SELECT generate_series, VACUUMs, and times in a fresh subprocess each:

- floor: keyset batches of 10k ids (SELECT id ... WHERE id > cursor ORDER BY id LIMIT 10000, then
  DELETE ... WHERE id = ANY(%s)), one transaction each, psycopg only (FACTS.md's "batched floor");
- sweep: enforce.enforce() over every category and tenant, as the hourly task runs it.

Peak memory is ru_maxrss of the subprocess that did the work (it includes the interpreter and
Django: the idle figure is printed too). Medians of --repeat runs. Results also go to
bench/results/retention_sweep.json.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sg_bench6"
TABLE = "search_usageevent"
BATCH = 10_000


def peak_rss_mb() -> float:
    """Peak RSS of this process since its exec (VmHWM). ru_maxrss is printed alongside: on Linux it
    keeps the forking parent's high-water mark across exec, so it can over-state a child."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()


# --- child processes -----------------------------------------------------------------------------


def child_idle() -> dict:
    django_setup()
    from governance.models import Tenant

    Tenant.objects.count()
    return {"peak_rss_mb": peak_rss_mb()}


def child_sweep() -> dict:
    django_setup()
    from governance.retention import enforce

    start = time.perf_counter()
    report = enforce.enforce(actor="system:bench")
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": report.counts.get("usage_events", {}),
        "deleted": report.total,
        "errors": report.errors,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_floor(cutoff_days: int) -> dict:
    import psycopg

    start = time.perf_counter()
    deleted, cursor_id = 0, 0
    # No prepared statements: psycopg's default (prepare after 5 runs) switches to a generic plan that
    # sorts the whole table on every batch; a custom plan walks the primary key, as Django's does.
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=False, prepare_threshold=None) as conn:
        while True:
            with conn.transaction():
                ids = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM {TABLE} WHERE id > %s AND created_at < now() - make_interval(days => %s) "
                        "ORDER BY id LIMIT %s",
                        (cursor_id, cutoff_days, BATCH),
                    )
                ]
                if not ids:
                    break
                conn.execute(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", (ids,))
            deleted += len(ids)
            cursor_id = ids[-1]
    return {"seconds": time.perf_counter() - start, "deleted": deleted, "peak_rss_mb": peak_rss_mb()}


# --- the parent ----------------------------------------------------------------------------------


def run_child(kind: str, *args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, f"--child={kind}", *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(conn, tenant_id: int, expired: int, young: int) -> None:
    conn.execute(f"TRUNCATE {TABLE}")
    conn.execute(
        f"INSERT INTO {TABLE} (tenant_id, created_at, provider, used_context, latency_ms, outcome) "
        "SELECT %s, now() - interval '500 days' - make_interval(secs => g), 'offline', false, 120, 'done' "
        "FROM generate_series(1, %s) g",
        (tenant_id, expired),
    )
    conn.execute(
        f"INSERT INTO {TABLE} (tenant_id, created_at, provider, used_context, latency_ms, outcome) "
        "SELECT %s, now() - make_interval(secs => g), 'offline', false, 120, 'done' FROM generate_series(1, %s) g",
        (tenant_id, young),
    )
    conn.execute(f"VACUUM ANALYZE {TABLE}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    if args.child:
        fn = {"idle": child_idle, "sweep": child_sweep, "floor": child_floor}[args.child]
        result = fn(*[int(a) for a in args.rest])
        print(json.dumps(result))
        return

    import psycopg

    ensure_database(os.environ["DATABASE_URL"])
    from governance.models import RetentionPolicy, RetentionRun, Tenant

    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    RetentionRun.objects.filter(finished_at__isnull=True).update(status="abandoned", live=False)
    cutoff_days = RetentionPolicy.objects.get(category="usage_events").max_age.days
    idle = run_child("idle")
    results = {"idle_peak_rss_mb": idle["peak_rss_mb"], "sizes": {}}
    print(f"idle Django process (imports + one query): peak RSS {idle['peak_rss_mb']:.1f} MB")
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        for size in [int(s) for s in args.sizes.split(",")]:
            young = size // 4
            floors, sweeps = [], []
            for _ in range(args.repeat):
                fill(conn, tenant.pk, size, young)
                floor = run_child("floor", cutoff_days)
                assert floor["deleted"] == size, floor
                floors.append(floor)
                fill(conn, tenant.pk, size, young)
                sweep = run_child("sweep")
                assert sweep["deleted"] == size and not sweep["errors"], sweep
                left = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
                assert left == young, left
                sweeps.append(sweep)
            f_s = statistics.median(r["seconds"] for r in floors)
            s_s = statistics.median(r["seconds"] for r in sweeps)
            row = {
                "expired_rows": size,
                "young_rows_kept": young,
                "floor_seconds": f_s,
                "floor_rows_per_s": size / f_s,
                "floor_peak_rss_mb": max(r["peak_rss_mb"] for r in floors),
                "sweep_seconds": s_s,
                "sweep_rows_per_s": size / s_s,
                "sweep_peak_rss_mb": max(r["peak_rss_mb"] for r in sweeps),
                "ratio_sweep_to_floor": f_s / s_s,
                "runs": args.repeat,
            }
            results["sizes"][str(size)] = row
            print(
                f"{size:>9,} expired: floor {row['floor_rows_per_s']:>9,.0f} rows/s ({f_s:.2f} s, "
                f"{row['floor_peak_rss_mb']:.0f} MB) | sweep {row['sweep_rows_per_s']:>9,.0f} rows/s ({s_s:.2f} s, "
                f"{row['sweep_peak_rss_mb']:.0f} MB) | ratio {row['ratio_sweep_to_floor']:.2f}x"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "retention_sweep.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
