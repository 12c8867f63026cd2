"""The public intake's throttle counts a client across processes when Redis is configured.

Each count runs in its own interpreter with the project's settings, as a gunicorn worker would,
and asks FilingThrottle exactly what compliance.views and compliance.api ask it.
"""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL")

COUNT = """
import sys
import django
django.setup()
from django.conf import settings
from django.test import RequestFactory
from compliance.throttles import FilingThrottle
request = RequestFactory().post("/api/v1/privacy-requests/", REMOTE_ADDR=sys.argv[1])
print(settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1])
print(" ".join("allowed" if FilingThrottle().allow_request(request, None) else "throttled" for _ in range(int(sys.argv[2]))))
"""


def count(address: str, requests: int, *, redis_url: str | None, cache_url: str | None = None) -> list[str]:
    """In a new process: the cache backend's class, then each request's fate."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", PUBLIC_THROTTLE_RATE="3/hour")
    if redis_url:
        env["REDIS_URL"] = redis_url
    if cache_url:
        env["CACHE_URL"] = cache_url
    result = subprocess.run(
        [sys.executable, "-c", COUNT, address, str(requests)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    backend, fates = result.stdout.strip().splitlines()[-2:]
    return [backend, *fates.split()]


@pytest.fixture
def address():
    """A client address of this test alone (loopback range: the string is a cache key, nothing is sent)."""
    return "127.{}.{}.{}".format(*random.sample(range(1, 255), 3))


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (.ci/run sets it)")
def test_two_processes_share_one_count_in_redis(address):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert count(address, 2, redis_url=REDIS_URL) == ["RedisCache", "allowed", "allowed"]
        # Another process (another gunicorn worker, or the same one restarted) sees those two.
        assert count(address, 2, redis_url=REDIS_URL) == ["RedisCache", "allowed", "throttled"]
        assert [key.decode() for key in client.scan_iter(f"*throttle_privacy_filing_{address}")] == [
            f"sightguard:1:throttle_privacy_filing_{address}"
        ]
    finally:
        for key in client.scan_iter(f"*throttle_privacy_filing_{address}"):
            client.delete(key)


def test_without_redis_each_process_counts_alone(address):
    assert count(address, 2, redis_url=None) == ["LocMemCache", "allowed", "allowed"]
    assert count(address, 2, redis_url=None) == ["LocMemCache", "allowed", "allowed"]


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (.ci/run sets it)")
def test_a_cache_url_keeps_the_counts_out_of_the_brokers_database(address):
    import redis

    broker = redis.Redis.from_url(REDIS_URL)
    cache_url = REDIS_URL.rsplit("/", 1)[0] + "/" + str((broker.connection_pool.connection_kwargs.get("db", 0) + 1) % 16)
    cache = redis.Redis.from_url(cache_url)
    try:
        assert count(address, 2, redis_url=REDIS_URL, cache_url=cache_url) == ["RedisCache", "allowed", "allowed"]
        assert count(address, 2, redis_url=REDIS_URL, cache_url=cache_url) == ["RedisCache", "allowed", "throttled"]
        assert list(broker.scan_iter(f"*throttle_privacy_filing_{address}")) == []
        assert len(list(cache.scan_iter(f"*throttle_privacy_filing_{address}"))) == 1
    finally:
        for key in cache.scan_iter(f"*throttle_privacy_filing_{address}"):
            cache.delete(key)


def test_an_ipv6_client_is_its_64_network_and_an_ipv4_client_its_address():
    from compliance.throttles import client_of

    assert client_of("2001:db8:1:2::1") == client_of("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_of("2001:db8:1:3::1") != client_of("2001:db8:1:2::1")
    assert client_of("::ffff:192.0.2.7") == client_of("192.0.2.7") == "192.0.2.7"
    assert client_of("192.0.2.8") != client_of("192.0.2.7")
