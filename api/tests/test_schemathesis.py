"""Property-based tests of the whole API from its own OpenAPI schema (Schemathesis).

The live test server serves the API over HTTP, as in production; Schemathesis reads
the schema it serves, generates requests for every operation (valid per the schema,
with random ids, filters, pages and bodies) and sends them with an instructor's token.
Every answer must be no server error, a status code, content type and body that the
schema declares. The run is bounded: a fixed number of examples per operation, with a
fixed seed, so it takes the same time (well under two minutes) on every run.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from access.tests.tenants import build_tenant
from accounts.tests.factories import UserFactory
from api.tokens import token_create

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
WRITES_LAST = {"GET": 0, "POST": 1, "PATCH": 1, "PUT": 1, "DELETE": 2}


@schemathesis.serializer("text/csv")
def csv_serializer(context, value):
    """Send a roster given as text as it is (Schemathesis knows no CSV)."""
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": str(value).encode("utf-8")}


@pytest.mark.django_db(transaction=True)
def test_the_api_keeps_to_its_schema(live_server, settings_override):
    a = build_tenant("Apple")
    build_tenant("Banana")  # another course's ids, for the instructor of A to be refused
    UserFactory(username="root", is_superuser=True)
    _, secret = token_create(user=a.instructor, name="schemathesis", scope="write")
    headers = {"Authorization": f"Bearer {secret}"}

    document = requests.get(
        f"{live_server.url}/api/v1/schema/",
        headers={**headers, "Accept": "application/json"},
        timeout=30,
    )
    assert document.status_code == 200
    schema = schemathesis.openapi.from_dict(document.json())
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: (WRITES_LAST[operation.method.upper()], operation.path),
    )
    assert len(operations) >= 50

    failures = []
    session = requests.Session()
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(base_url=live_server.url, session=session, headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def settings_override(settings):
    # One token sends about 1,500 requests here: far over the production rate.
    settings.API_THROTTLE_RATES = {"token": None, "user": None, "anon": None}
    return settings
