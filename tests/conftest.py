"""Shared fixtures. Tenants: acme (alice admin, bob member) and globex (charlie admin, dave member).

Every suite checks an outsider next to the owner: another tenant's member, an admin of another
tenant, the operator where customer content is concerned.
"""

import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from config import celery_app
from governance.models import Membership
from governance.storage import objectstore
from governance.tenancy.tenants import add_member, create_tenant


@pytest.fixture(autouse=True)
def _embedded_defaults(settings, tmp_path):
    """Each test gets its own local object store, in-process tasks (run on commit) and the
    process's own cache: throttle counts of parallel test workers never meet in Redis, and a test's
    cache.clear() never flushes the Redis database a real worker's queue lives in
    (tests/compliance/test_throttles.py checks the shared Redis cache itself)."""
    settings.LOCAL_OBJECT_ROOT = tmp_path / "objects"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.S3_BUCKET = None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    celery_app.conf.task_always_eager = True
    yield
    objectstore._backend_for.cache_clear()


@pytest.fixture(autouse=True)
def _staff_sign_in_with_a_second_factor(request, monkeypatch):
    """`client.login(...)` and `client.force_login(...)` sign staff in as the admin's sign-in form
    does with a code from their second factor (a recovery-code device, made here): the session is
    verified. Tests of what a password-only session may not do are marked `password_only`."""
    if request.node.get_closest_marker("password_only"):
        return
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    force_login, login = Client.force_login, Client.login

    def verify(client):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=client.session.get("_auth_user_id"), is_staff=True).first()
        if user is not None:
            device, _ = StaticDevice.objects.get_or_create(user=user, name="signed in by the tests", defaults={"confirmed": True})
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        verify(self)

    def login_verified(self, **credentials):
        from django.http import HttpRequest

        request = HttpRequest()  # django-axes' backend needs the request the admin's form passes
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        signed_in = login(self, request=request, **credentials)
        if signed_in:
            verify(self)
        return signed_in

    monkeypatch.setattr(Client, "force_login", force_login_verified)
    monkeypatch.setattr(Client, "login", login_verified)


class Actor:
    def __init__(self, membership, key):
        self.membership = membership
        self.user = membership.user
        self.tenant = membership.tenant
        self.key = key
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def __repr__(self):
        return f"<{self.membership.role} of {self.tenant.slug}>"


@pytest.fixture
def acme(db):
    tenant, membership, key = create_tenant(
        slug="acme", name="Acme Oy", admin_email="alice@acme.example", admin_password="alice-password-1"
    )
    return tenant


@pytest.fixture
def alice(acme):
    return Actor(Membership.objects.get(tenant=acme, role="admin"), _fresh_key(acme, "alice@acme.example"))


@pytest.fixture
def bob(acme):
    membership, key = add_member(tenant=acme, email="bob@acme.example")
    return Actor(membership, key)


@pytest.fixture
def globex(db):
    tenant, _, _ = create_tenant(
        slug="globex", name="Globex AB", admin_email="charlie@globex.example", admin_password="charlie-password-1"
    )
    return tenant


@pytest.fixture
def charlie(globex):
    return Actor(Membership.objects.get(tenant=globex, role="admin"), _fresh_key(globex, "charlie@globex.example"))


@pytest.fixture
def dave(globex):
    membership, key = add_member(tenant=globex, email="dave@globex.example")
    return Actor(membership, key)


@pytest.fixture
def operator(db):
    from governance.models import User

    return User.objects.create_superuser(email="ops@sightguard.example", password="operator-password-1")


def _fresh_key(tenant, email):
    from governance.crypto import blind_index
    from governance.tenancy.keys import issue_key

    membership = Membership.objects.get(tenant=tenant, user__email_index=blind_index(email))
    return issue_key(membership=membership)[1]


def make_jpeg(size=(320, 240), colour=(30, 90, 200), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", exif=exif or Image.Exif())
    return out.getvalue()


@pytest.fixture
def jpeg():
    return make_jpeg


def beat_interval(task: str):
    """How often the beat schedule declared in settings runs `task` (None: it does not)."""
    from django.conf import settings

    return next((e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task), None)


def pytest_collection_modifyitems(items):
    """Transactional tests (live server, real worker) flush every table when they end, which would
    also wipe rows that data migrations ship (the audit chain head, the first terms version) for the
    next transactional test. Serialized rollback puts them back at each one's start."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is not None and ("transactional_db" in names or "live_server" in names):
            if "django_db_serialized_rollback" not in names:
                names.append("django_db_serialized_rollback")

@pytest.fixture(scope="session")
def s3_server():
    """A real S3 HTTP endpoint on loopback (moto's server in a thread); yields its URL.

    moto echoes server-side encryption without doing it and does not enforce presigned expiry:
    test expiry by the URL's X-Amz-Expires and by the object being gone.
    """
    import os

    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """Point the object store at a fresh bucket on the s3_server; yields the bucket name."""
    import uuid

    import boto3

    name = f"sg-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=name)
    settings.S3_BUCKET, settings.S3_ENDPOINT_URL, settings.S3_REGION = name, s3_server, "us-east-1"
    objectstore._backend_for.cache_clear()
    yield name
    objectstore._backend_for.cache_clear()
