import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_and_its_docs_page_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    assert "/api/v1/search-jobs/" in body["paths"]
    assert body["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert client.get("/api/docs/").status_code == 200
