"""The schema and the browsable docs are served, and the docs load nothing from a CDN."""

import re


def test_the_schema_documents_every_operation(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/subjects", "/api/v1/consent/check", "/api/v1/deliveries/retry"} <= set(
        paths)
    assert response.json()["components"]["securitySchemes"]["ApiKey"]["in"] == "header"


def test_the_docs_page_loads_only_local_assets(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "cdn" not in page.lower()
