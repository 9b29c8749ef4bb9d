"""Request size limits: JSON bodies over 10 MB get a clear 413 before anyone parses them;
upload paths have their own limit; uploaded files are never served back at all."""

from __future__ import annotations

from django.test import Client


def test_it_refuses_a_json_body_over_ten_megabytes_with_a_clear_413(alice, api) -> None:
    api.force_authenticate(alice)
    body = b'{"title": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = api.generic("POST", "/api/v1/projects/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "at most 10485760 bytes" in response.json()["detail"]


def test_it_refuses_an_oversized_body_on_pages_too(alice, client: Client) -> None:
    client.force_login(alice)
    response = client.generic(
        "POST",
        "/account/tokens/",
        b"n" * (10 * 1024 * 1024 + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert not alice.api_tokens.exists()


def test_it_accepts_a_body_just_under_the_limit(alice, api) -> None:
    """A large but allowed body reaches the view (which then judges its content)."""
    api.force_authenticate(alice)
    body = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    response = api.generic("POST", "/api/v1/projects/", body, content_type="application/json")
    assert response.status_code == 400
    assert "title" in response.json()


def test_it_answers_a_garbled_content_length_with_400(db, client: Client) -> None:
    response = client.post(
        "/api/v1/readings/", b"[]", content_type="application/json", CONTENT_LENGTH="lots"
    )
    assert response.status_code == 400
    assert "Content-Length" in response.json()["detail"]


def test_it_holds_upload_paths_to_their_own_limit(db, client: Client, settings) -> None:
    settings.CSV_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
    big = b"x" * 64
    small_enough = client.generic(
        "POST",
        "/api/v1/uploads/",
        big,
        content_type="text/csv",
        CONTENT_LENGTH=str(20 * 1024 * 1024),
    )
    assert small_enough.status_code != 413
    too_big = client.generic(
        "POST",
        "/api/v1/uploads/",
        big,
        content_type="text/csv",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
    )
    assert too_big.status_code == 413
    assert "upload" in too_big.json()["detail"]


def test_it_never_serves_uploaded_files(db, client: Client, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "evil.html").write_text("<script>alert(1)</script>")
    for path in ("/media/uploads/evil.html", "/uploads/evil.html", "/static/../media/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"<script>alert(1)" not in response.content
