"""Pytest fixtures around the fake provider server. Import them into a test module:

    from tests.fakes.fixtures import provider_server, use_provider  # noqa: F401
"""

import pytest

from .provider_server import ProviderServer

PROVIDER_KEYS = ("gemini", "openai", "anthropic")
FAKE_API_KEYS = {"gemini": "fake-gemini-key", "openai": "fake-openai-key", "anthropic": "fake-anthropic-key"}


def point_settings_at(settings, key: str, server: ProviderServer) -> None:
    """Configure VISION_PROVIDER=key against the fake server, with fast retries and timeouts."""
    settings.VISION_PROVIDER = key
    settings.VISION_TIMEOUT_SECONDS = 1.0
    settings.VISION_RETRY_BASE_SECONDS = 0.01
    settings.VISION_RETRY_MAX_SECONDS = 0.05
    settings.VISION_MAX_RETRIES = 2
    settings.GEMINI_API_KEY = FAKE_API_KEYS["gemini"]
    settings.OPENAI_API_KEY = FAKE_API_KEYS["openai"]
    settings.ANTHROPIC_API_KEY = FAKE_API_KEYS["anthropic"]
    settings.GEMINI_BASE_URL = server.url
    settings.OPENAI_BASE_URL = server.url + "/v1"
    settings.ANTHROPIC_BASE_URL = server.url


def allow_provider(tenant, key: str) -> None:
    """Whatever a tenant needs before its images may go to `key`.

    Consent to the AI terms gates third-party providers: once that gate exists,
    this is the one place the provider tests grant it: the tenant's admin accepts the current terms.
    """
    from governance import consent
    from governance.models import Membership

    if key == "offline":
        return
    from governance.tenancy.tenants import add_member

    admin = Membership.objects.filter(tenant=tenant, role=Membership.Role.ADMIN).select_related("user").first()
    if admin is None:
        admin, _ = add_member(tenant=tenant, email=f"consenting-admin@{tenant.slug}.example", role=Membership.Role.ADMIN)
    consent.accept(tenant=tenant, version=consent.current_terms().version, actor=admin.user)


@pytest.fixture
def provider_server():
    server = ProviderServer().start()
    yield server
    server.stop()


@pytest.fixture(params=PROVIDER_KEYS)
def use_provider(request, settings, provider_server):
    """Each test runs once per provider SDK, against the fake server. Yields (key, server)."""
    point_settings_at(settings, request.param, provider_server)
    return request.param, provider_server
