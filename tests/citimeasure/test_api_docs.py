from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_serves_an_openapi_schema_listing_the_project_commands(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/projects/",
        "/api/v1/projects/{slug}/submit/",
        "/api/v1/projects/{slug}/publish/",
        "/api/v1/projects/{slug}/reject/",
        "/api/v1/cities/{slug}/neighbourhoods/",
    ]:
        assert path in paths
    scheme = response.json()["components"]["securitySchemes"]["ApiToken"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}


def test_it_serves_browsable_docs_from_our_own_static_files(client):
    html = client.get("/api/docs/").content.decode()
    assert "swagger" in html.lower()
    assert "cdn" not in html and "unpkg" not in html
