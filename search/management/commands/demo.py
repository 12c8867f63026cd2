import io
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image

from governance.demo import DEMO
from governance.models import Membership, Tenant
from governance.storage import objectstore
from governance.tenancy.tenants import create_tenant
from search import pipeline
from search.models import SearchJob


def sample_image() -> bytes:
    """A generated photo-like JPEG carrying EXIF, so cleaning has something to remove."""
    picture = Image.radial_gradient("L").resize((640, 480)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"  # Make
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    return out.getvalue()


class Command(BaseCommand):
    help = "Run one full image search on the configured stack, printing each step."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, timeout, **options):
        tenant = Tenant.objects.filter(slug=DEMO["tenant"]).first()
        if tenant is None:
            tenant, _, _ = create_tenant(
                slug=DEMO["tenant"], name="Demo company", admin_email=DEMO["admin_email"],
                admin_password=DEMO["admin_password"], actor="cli",
            )
        member = Membership.objects.filter(tenant=tenant).select_related("user").first()
        with transaction.atomic():
            job = pipeline.create_job(
                tenant=tenant, user=member.user, image_bytes=sample_image(), context="a demo search"
            )
        self.stdout.write(f"job {job.pk} created on tenant {tenant.slug} (provider {job.provider})")
        self.stdout.write(f"status: {job.status}")
        seen, deadline = job.status, time.monotonic() + timeout
        while job.status not in SearchJob.FINISHED:
            if time.monotonic() > deadline:
                raise CommandError(f"job {job.pk} did not finish within {timeout:.0f} s (last status {job.status})")
            time.sleep(0.2)
            job.refresh_from_db()
            if job.status != seen:
                seen = job.status
                self.stdout.write(f"status: {job.status}")
        if job.status != SearchJob.Status.DONE:
            raise CommandError(f"job {job.pk} ended {job.status}: {job.error_code}")
        self.stdout.write(f"description: {job.description}")
        image = job.image
        image.refresh_from_db()
        if image.deleted_at is None or objectstore.backend().exists(image.key):
            raise CommandError(f"the transient image {image.key} was not deleted")
        self.stdout.write(f"transient image {image.key} deleted at {image.deleted_at.isoformat()} ({image.deleted_reason})")
        self.stdout.write(self.style.SUCCESS("demo search complete"))
