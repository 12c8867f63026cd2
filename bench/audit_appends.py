"""Audit logs on PostgreSQL: appends through governance.audit.record next to a plain INSERT, the
delay until a signed checkpoint covers an event, and the log at 1M events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sg_audit .venv/bin/python bench/audit_appends.py
    # options: --writers 1,4,16  --seconds 5  --seal-every 2  --big 1000000  --skip-big  --debug  --cpu 3000

The database is migrated if needed. First (--cpu N, 0 skips) the client CPU of one append in this
process, autocommit, DEBUG off: best of 3 x N through audit.record and through the floor's INSERT.
Then each part runs in fresh processes:

1. appends/s: N writer processes, each appending one event per transaction (autocommit, as a
   request writing one audit event does) for --seconds; once alone, once with the sealer running
   beside them (every --seal-every s). The floor: the same row, by plain psycopg INSERT, into a table with the
   same columns and indexes (CREATE TABLE ... LIKE governance_auditevent INCLUDING ALL, no trigger,
   nobody sealing it). Same N, same duration, same run.
2. append -> checkpoint: every event of part 1's audit runs, the time from its created_at to the
   issued_at of the first checkpoint covering it (p50, p99).
3. at --big events in one tenant's log (INSERT ... SELECT generate_series, then the sealer):
   integration rate, the time to issue one checkpoint, proof sizes and times, export time, and the
   standalone verifier (a separate `python -I governance/audit_verifier.py` process) on the export.
"""

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sg_audit"
FLOOR_TABLE = "bench_plain_auditevent"
INSERT_SQL = (
    "INSERT INTO {table} (tenant_id, actor, action, target_type, target_id, metadata, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, now())"
)


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()


def _tenants(n: int) -> list[int]:
    from governance.models import Tenant

    return [Tenant.objects.get_or_create(slug=f"bench-audit-{i}", defaults={"name": f"Bench {i}"})[0].pk for i in range(n)]


def audit_writer(tenant_id: int, seconds: float, ready, go, out, action: str = "bench.append") -> None:
    django_setup()
    from django.conf import settings
    from django.db import connection

    # As in production: no per-statement debug log (with DEBUG on, Django formats every statement
    # in Python for connection.queries; the floor keeps no such log). `--debug` measures with it.
    settings.DEBUG = os.environ.get("BENCH_DEBUG") == "1"

    from governance import audit

    connection.ensure_connection()
    ready.put(1)
    go.wait()
    n, end = 0, time.time() + seconds
    while time.time() < end:
        audit.record(action=action, actor="system", tenant=tenant_id, target=("search.searchjob", str(n)), metadata={"n": n})
        n += 1
    out.put(n)


def floor_writer(tenant_id: int, seconds: float, ready, go, out) -> None:
    import psycopg

    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=None)
    sql = INSERT_SQL.format(table=FLOOR_TABLE)
    ready.put(1)
    go.wait()
    n, end = 0, time.time() + seconds
    with conn.cursor() as cur:
        while time.time() < end:
            cur.execute(sql, (tenant_id, "system", "bench.append", "search.searchjob", str(n), json.dumps({"n": n})))
            n += 1
    out.put(n)


def sealer(every: float, seconds: float, ready, go) -> None:
    django_setup()
    from governance import audit

    ready.put(1)
    go.wait()
    stop_at = time.time() + seconds
    while time.time() < stop_at:
        began = time.time()
        audit.seal(wait=False)
        time.sleep(max(0.0, every - (time.time() - began)))
    audit.seal()


def cpu_per_append(n: int, tenant_id: int) -> dict:
    """Client CPU per append in this one process (autocommit, DEBUG off): best of 3 x n appends
    through audit.record, and through the floor's psycopg INSERT."""
    import psycopg
    from django.conf import settings

    from governance import audit

    settings.DEBUG = False
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=None)
    sql = INSERT_SQL.format(table=FLOOR_TABLE)

    def ours():
        for i in range(n):
            audit.record(action="bench.cpu", actor="system", tenant=tenant_id, target=("search.searchjob", str(i)), metadata={"n": i})

    def floor():
        with conn.cursor() as cur:
            for i in range(n):
                cur.execute(sql, (tenant_id, "system", "bench.cpu", "search.searchjob", str(i), json.dumps({"n": i})))

    best = {}
    for name, fn in (("floor_us", floor), ("record_us", ours)) * 3:
        began = time.process_time()
        fn()
        best[name] = min(best.get(name, 1e9), (time.process_time() - began) / n * 1e6)
    conn.close()
    return {k: round(v) for k, v in best.items()} | {"ratio": round(best["floor_us"] / best["record_us"], 2)}


def run_writers(target, writers: int, seconds: float, tenants: list[int], seal_every: float | None) -> float:
    ctx = mp.get_context("fork")  # children inherit the imported project: no 17 start-ups under load
    out, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    extra = ("bench.append_sealed",) if seal_every else ()  # latency counts only events a running sealer saw
    procs = [ctx.Process(target=target, args=(tenants[i % len(tenants)], seconds, ready, go, out, *extra)) for i in range(writers)]
    if seal_every:
        procs.append(ctx.Process(target=sealer, args=(seal_every, seconds, ready, go)))
    for p in procs:
        p.start()
    for _ in procs:  # every process set up and connected before the clock starts
        ready.get()
    go.set()
    total = sum(out.get() for _ in range(writers))
    for p in procs:
        p.join()
    return total / seconds


def latency(since_id: int) -> tuple[float, float, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT EXTRACT(EPOCH FROM (c.issued_at - e.created_at))
              FROM governance_auditevent e
              JOIN governance_auditleaf l ON l.event_id = e.id
              CROSS JOIN LATERAL (
                  SELECT min(issued_at) AS issued_at FROM governance_auditcheckpoint c
                   WHERE c.log_id = l.log_id AND c.size > l.index) c
             WHERE e.id > %s AND e.action = 'bench.append_sealed'
            """,
            [since_id],
        )
        delays = sorted(float(r[0]) for r in cur.fetchall() if r[0] is not None)
    q = statistics.quantiles(delays, n=100)
    return q[49], q[98], len(delays)


def big_log(n: int) -> dict:
    from django.db import connection

    from governance import audit
    from governance.models import AuditEvent, AuditLeaf, AuditNode, Tenant

    big = Tenant.objects.get_or_create(slug="bench-audit-big", defaults={"name": "Bench big"})[0]
    tenant_id = big.pk
    have = AuditEvent.objects.filter(tenant_id=tenant_id).count()
    results: dict = {}
    if have < n:
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO governance_auditevent (tenant_id, actor, action, target_type, target_id, metadata, created_at) "
                "SELECT %s, 'system', 'bench.big', 'search.searchjob', g::text, jsonb_build_object('n', g), now() "
                "FROM generate_series(1, %s) g",
                [tenant_id, n - have],
            )
    from django.db.models import Exists, OuterRef

    leaf = AuditLeaf.objects.filter(event_id=OuterRef("pk"))
    unsealed = AuditEvent.objects.filter(tenant_id=tenant_id).filter(~Exists(leaf)).exists()
    if unsealed:
        began = time.perf_counter()
        report = audit.seal()
        took = time.perf_counter() - began
        results["integrate"] = {"leaves": report.sealed, "seconds": round(took, 2), "leaves_per_s": round(report.sealed / took)}
    log = audit.log_for(tenant=big)
    # One more event, then the time to issue its checkpoint (integrate 1 leaf, sign, store, copy).
    audit.record(action="bench.one_more", tenant=big)
    began = time.perf_counter()
    audit.seal()
    results["checkpoint_issue_ms"] = round((time.perf_counter() - began) * 1000, 1)
    log = audit.log_for(tenant=big)
    checkpoint = audit.newest_checkpoint(log=log)
    results["size"] = checkpoint.size
    results["stored_subtrees"] = AuditNode.objects.filter(log=log).count()
    event_ids = list(AuditLeaf.objects.filter(log=log, index__in=[0, checkpoint.size // 2, checkpoint.size - 1]).values_list("event_id", flat=True))
    times, sizes = [], []
    for event in AuditEvent.objects.filter(pk__in=event_ids):
        began = time.perf_counter()
        proof = audit.inclusion_proof(event=event, checkpoint=checkpoint)
        times.append((time.perf_counter() - began) * 1000)
        sizes.append((len(proof["path"]), len(json.dumps({k: v for k, v in proof.items() if k != "checkpoint"}))))
    results["inclusion_proof"] = {"hashes": [s[0] for s in sizes], "json_bytes": [s[1] for s in sizes], "ms": [round(t, 1) for t in times]}
    began = time.perf_counter()
    proof = audit.consistency_proof(log=log, old_size=checkpoint.size // 3, new_size=checkpoint.size)
    results["consistency_proof"] = {
        "hashes": len(proof["path"]), "json_bytes": len(json.dumps(proof)), "ms": round((time.perf_counter() - began) * 1000, 1),
    }
    tmp = Path(tempfile.mkdtemp())
    began = time.perf_counter()
    with open(tmp / "log.jsonl", "wb") as f:
        for line in audit.export_lines(log=log, size=checkpoint.size):
            f.write(line)
    results["export_seconds"] = round(time.perf_counter() - began, 2)
    (tmp / "cp.json").write_text(json.dumps(audit.checkpoint_document(checkpoint, log=log)))
    (tmp / "key").write_text(audit.verifier_key())
    verifier = ROOT / "governance" / "audit_verifier.py"
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-I", str(verifier), "--key", str(tmp / "key"), "--log", str(tmp / "log.jsonl"), "--checkpoint", str(tmp / "cp.json")],
        capture_output=True, text=True,
    )
    took = time.perf_counter() - began
    assert done.returncode == 0, done.stdout + done.stderr
    results["verifier"] = {"seconds": round(took, 2), "events_per_s": round(checkpoint.size / took), "said": done.stdout.strip()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--seal-every", type=float, default=2.0)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--debug", action="store_true", help="writers keep Django's DEBUG query log")
    parser.add_argument("--cpu", type=int, default=3000, help="appends per side of the one-process CPU part (0: skip)")
    args = parser.parse_args()
    if args.debug:
        os.environ["BENCH_DEBUG"] = "1"
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (LIKE governance_auditevent INCLUDING ALL)")
        cur.execute("SELECT coalesce(max(id), 0) FROM governance_auditevent")
        since = cur.fetchone()[0]
    tenants = _tenants(16)
    from governance import audit

    audit.seal()
    connection.close()
    out: dict = {"appends": []}
    print(f"load before: {os.getloadavg()[0]:.2f}")
    if args.cpu:
        out["cpu_per_append"] = cpu_per_append(args.cpu, tenants[0])
        print(json.dumps({"cpu_per_append": out["cpu_per_append"]}), flush=True)
        connection.close()
    for n in [int(w) for w in args.writers.split(",") if w]:
        floor = run_writers(floor_writer, n, args.seconds, tenants, None)
        alone = run_writers(audit_writer, n, args.seconds, tenants, None)
        ours = run_writers(audit_writer, n, args.seconds, tenants, args.seal_every)
        row = {
            "writers": n, "floor_per_s": round(floor), "record_per_s": round(alone), "ratio": round(alone / floor, 2),
            "record_with_sealer_per_s": round(ours), "ratio_with_sealer": round(ours / floor, 2),
        }
        out["appends"].append(row)
        print(json.dumps(row), flush=True)
    if out["appends"]:
        p50, p99, count = latency(since)
        out["append_to_checkpoint"] = {"seal_every_s": args.seal_every, "p50_s": round(p50, 2), "p99_s": round(p99, 2), "events": count}
        print(json.dumps(out["append_to_checkpoint"]), flush=True)
    if not args.skip_big:
        out["big"] = big_log(args.big)
        print(json.dumps(out["big"]), flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"audit_appends{'_big' if not out['appends'] else ''}.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
