"""/health is what a monitor or a clerk's "is it up?" check opens: no login, JSON, no personal data."""

import re

from records.health import package_version


def test_health_reports_version_database_and_data_folder(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.is_json
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["version"] == package_version()
    assert body["database"] == {"ok": True, "dialect": "sqlite"}
    assert body["data_folder"]["ok"] is True


def test_health_needs_no_login_and_leaks_nothing(app, client):
    text = client.get("/health").get_data(as_text=True)
    assert not re.search(r"\d{16}", text), "a NIK or No. KK in /health"
    for secret in ("petugas", "admin", app.config["HOME"], app.config["SECRET_KEY"]):
        assert secret not in text


def test_health_answers_503_when_the_database_is_unreachable(tmp_path):
    """A broken database must show up as a failed check, not as a 500 page."""
    from conftest import build_app

    app = build_app(tmp_path, database_url=f"sqlite:///{tmp_path}/missing/dir/lemari.db")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == {"ok": False, "dialect": "sqlite",
                                               "error": "OperationalError"}
