"""Schemathesis against the app's own OpenAPI spec (/api/v1/_openapi): every operation, fed
generated and malformed requests by an authenticated clerk and by a scoped operator, must never
answer with a server error. Runs in-process over WSGI on a copy of the demo office."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from conftest import build_app
from records.services.setup import DEMO_PASSWORD

pytestmark = pytest.mark.slow
EXAMPLES = 10  # per operation and mode, each sent by four users and anonymously


@pytest.fixture(scope="module")
def fuzz_app(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, LOGIN_RATE_LIMIT="1000 per minute")
    yield app
    app.extensions["lemari"].close()


@pytest.fixture(scope="module")
def tokens(fuzz_app):
    client = fuzz_app.test_client()

    def token(username):
        answer = client.post("/api/v1/security/login", json={
            "username": username, "password": DEMO_PASSWORD, "provider": "db"})
        return answer.get_json()["access_token"]

    return {name: token(name) for name in ("admin", "petugas", "operator_loleng", "auditor")}


@pytest.fixture(scope="module")
def api_schema(fuzz_app, tokens):
    """The spec as a logged-in client reads it (FAB serves it to authenticated users only)."""
    return schemathesis.openapi.from_wsgi(
        "/api/v1/_openapi", fuzz_app, headers={"Authorization": f"Bearer {tokens['admin']}"})


def fuzz(operation, mode, tokens, failures: list) -> None:
    """Generated cases of one operation (valid-shaped or deliberately malformed), each sent
    by every test user and anonymously; a 5xx is recorded with what caused it."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        for username, token in (*tokens.items(), ("anonim", None)):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append((operation.label, mode.value, username, response.status_code,
                                 case.path_parameters, case.query, str(case.body)[:200],
                                 response.text[:300]))

    run()


def test_no_operation_answers_with_a_server_error(api_schema, tokens):
    failures: list = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10  # the registry, records and search APIs are all in the spec
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, tokens, failures)
    assert failures == []
