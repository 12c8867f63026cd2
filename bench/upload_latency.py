"""Upload-to-accepted latency under a steady load, from a second process, against a real server.

    .venv/bin/python bench/upload_latency.py [--rate 4] [--seconds 30] [--sqlite]

Starts gunicorn (2 workers) on a free loopback port over a fresh database (PostgreSQL database
sg_upload_bench on 127.0.0.1 by default, or SQLite with --sqlite) with Celery on Redis db 4 (tasks
are queued, as in production; no worker consumes them here, and db 4 is flushed at the end);
BENCH_DATABASE_URL and BENCH_REDIS_URL override both. A
second process sends uploads open-loop at --rate per second (latency counted from the intended
send time, so a slow server cannot hide its queueing) and, interleaved at the same rate, the floor:
an authenticated GET that costs one key lookup (HTTP + auth round trip). Also prints clean_image
alone, in-process, on the same file.

The upload is the 12 MP, 2.4 MB JPEG of bench/clean_image.py.
"""

import argparse
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sg_upload_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def load(base_url, key, photo, rate, seconds, out):
    """The second process: steady open-loop load; puts (kind, latency ms, status) rows on `out`."""
    import requests

    local = threading.local()

    def session():
        if not hasattr(local, "s"):
            local.s = requests.Session()
            local.s.headers["Authorization"] = f"Bearer {key}"
        return local.s

    def upload(intended):
        response = session().post(
            f"{base_url}/api/v1/search-jobs/", files={"image": ("photo.jpg", photo, "image/jpeg")}, timeout=60
        )
        return "upload", (time.perf_counter() - intended) * 1000, response.status_code

    def floor(intended):
        response = session().get(f"{base_url}/api/v1/search-jobs/00000000-0000-0000-0000-000000000000/", timeout=60)
        return "floor", (time.perf_counter() - intended) * 1000, response.status_code

    rows = []
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            intended = start + i / rate
            time.sleep(max(0.0, intended - time.perf_counter()))
            futures.append(pool.submit(upload, intended))
            half = intended + 0.5 / rate
            time.sleep(max(0.0, half - time.perf_counter()))
            futures.append(pool.submit(floor, half))
        rows = [f.result() for f in futures]
    out.put(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=4.0, help="uploads per second (and as many floor requests)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()

    from bench.clean_image import twelve_megapixel_photo
    from config.devkeys import ensure_development_keys

    var = Path(tempfile.mkdtemp(prefix="sg-bench-upload-"))
    ensure_development_keys(path=var / "dev-keys.json")  # shared by this process and the server's
    env = {**os.environ, "SIGHTGUARD_VAR_DIR": str(var), "REDIS_URL": REDIS_URL, "LOG_LEVEL": "ERROR"}
    if args.sqlite:
        env.pop("DATABASE_URL", None)
    else:
        name = DATABASE_URL.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        env["DATABASE_URL"] = DATABASE_URL
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run(manage + ["migrate", "-v", "0"], env=env, check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
    key = subprocess.run(
        manage + ["create_tenant", "bench", "--admin-email", "bench@bench.example"],
        env=env, check=True, cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]

    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        import requests

        for _ in range(100):
            try:
                requests.get(base_url + "/api/schema/", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a loaded machine
                time.sleep(0.2)
        photo = twelve_megapixel_photo()
        warm = requests.post(base_url + "/api/v1/search-jobs/", headers={"Authorization": f"Bearer {key}"},
                             files={"image": ("w.jpg", photo, "image/jpeg")}, timeout=60)
        assert warm.status_code == 202, warm.text
        for _ in range(args.workers * 2):  # warm every worker
            requests.post(base_url + "/api/v1/search-jobs/", headers={"Authorization": f"Bearer {key}"},
                          files={"image": ("w.jpg", photo, "image/jpeg")}, timeout=60)

        out = multiprocessing.get_context("spawn").Queue()
        load_before = os.getloadavg()[0]
        client = multiprocessing.get_context("spawn").Process(
            target=load, args=(base_url, key, photo, args.rate, args.seconds, out)
        )
        client.start()
        rows = out.get()
        client.join()
        load_after = os.getloadavg()[0]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], capture_output=True)

    os.environ["SIGHTGUARD_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from search.sanitize import clean_image

    clean_image(photo)
    clean_ms = statistics.median(
        [(lambda t: (clean_image(photo), (time.perf_counter() - t) * 1000)[1])(time.perf_counter()) for _ in range(9)]
    )

    print(f"{args.rate:g} uploads/s + {args.rate:g} floor requests/s for {args.seconds:g} s, gunicorn -w {args.workers}, "
          f"{'SQLite' if args.sqlite else 'PostgreSQL'}, Redis broker; load average {load_before:.2f} -> {load_after:.2f} "
          f"on {os.cpu_count()} CPUs; upload = {len(photo) / 1e6:.1f} MB 12 MP JPEG")
    print(f"{'':34} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for kind, label in (("upload", "upload -> 202 accepted"), ("floor", "floor: authenticated GET (404)")):
        lat = [ms for k, ms, _ in rows if k == kind]
        statuses = sorted({s for k, _, s in rows if k == kind})
        print(f"{label:34} {len(lat):5} {percentile(lat, 50):8.1f} {percentile(lat, 90):8.1f} {percentile(lat, 99):8.1f} "
              f"{max(lat):8.1f}  {statuses}")
    print(f"{'clean_image alone, in-process':34} {9:5} {clean_ms:8.1f}")


if __name__ == "__main__":
    main()
