"""schemathesis against /api/v1/schema/: generated requests (good and bad parameters) to every
operation, through the WSGI app (no network). No response may be a 5xx, and every response
must match the schema: documented status, content type, headers and body.

The schema is drf-spectacular's, generated at collection (schemathesis's lazy pytest loader
does not work with pytest 9); a test checks it is exactly what /api/v1/schema/ serves.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import browse_catalogue, full_trial

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


SPEC = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
schema = schemathesis.openapi.from_dict(SPEC)


def application(environ, start_response):
    """The project's WSGI app, made per request: its middleware then reads the test settings
    (plain http, no throttling), not those in force when the module was collected."""
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()(environ, start_response)


schema.app = application  # requests go through the WSGI app, in process


@pytest.fixture
def catalogue(db, settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    browse_catalogue()
    full_trial(1)  # with publications and outcomes, so those shapes are checked too
    # As Django's test client does: a finished request must not close the test's database
    # connection (on PostgreSQL that would end the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_response_conforms_to_the_schema(case, catalogue):
    case.call_and_validate(checks=CHECKS)


def test_schemathesis_tests_the_schema_the_api_serves(client, db):
    assert client.get("/api/v1/schema/?format=json").json() == SPEC


def test_the_schema_documents_every_endpoint(client, db):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert set(paths) == {
        "/api/v1/trials/",
        "/api/v1/trials/{slug}/",
        "/api/v1/conditions/",
        "/api/v1/cell-types/",
        "/api/v1/routes/",
        "/api/v1/stats/",
    }
