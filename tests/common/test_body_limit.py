"""A body past Django's DATA_UPLOAD_MAX_MEMORY_SIZE gets the API's own 413, in JSON."""

import json


def test_a_too_large_body_is_a_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api("events:ingest")
    body = json.dumps({"events": [{"purpose": "analytics", "note": "x" * 2000}]})
    response = client.post("/api/v1/events", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["message"].startswith("the request body is larger")
