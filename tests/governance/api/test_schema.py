import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_and_its_docs_page_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    assert "/api/v1/search-jobs/" in body["paths"]
    assert body["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert client.get("/api/docs/").status_code == 200


def test_the_docs_page_loads_only_our_own_static_files(client):
    """Swagger UI comes from drf-spectacular-sidecar: no CDN, so the page works offline and runs no
    third-party script where members paste their keys."""
    import re

    from django.contrib.staticfiles import finders

    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page) + re.findall(r"""(?:Url|url)\s*[=:]\s*["']([^"']+\.js)["']""", page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), f"external asset {asset}"
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file we ship"
