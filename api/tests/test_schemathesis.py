"""Property-based tests of the whole API from its own OpenAPI schema (Schemathesis).

The live test server serves the API over HTTP, as in production; Schemathesis reads
the schema it serves, generates requests for every operation (valid per the schema,
with random ids, filters, pages and bodies) and sends them with an instructor's token.
Every answer must be no server error, a status code, content type and body that the
schema declares. Requests the schema forbids (a filter of 0, an unknown body field, a
mark of "-5") are sent too, and must be refused; the schema's valid filters and pages
must be taken. The run is bounded: a fixed number of examples per operation, with a
fixed seed, so it takes the same time (about a minute and a half) on every run.

The other tests check, request by request, what Schemathesis reaches only by chance:
the refusals every operation can give (406, 413, 415) are in the schema, and the
schema publishes no developer's docstring.
"""

from __future__ import annotations

import inspect
import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from access.tests.tenants import build_tenant
from accounts.tests.factories import UserFactory
from api import serializers
from api.tokens import token_create
from api.views import base, content, grading, projects

from .conftest import token_client

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    # A request the schema forbids is refused (4xx): its bounds are the server's.
    negative_data_rejection,
]
# A request the schema allows is taken. Reads only: a write can be refused for what
# the data holds (a slug taken, the course's last instructor), which no schema says;
# and not the gradebooks, whose sort names a project of the course (p<id>).
READS_TAKEN = [positive_data_acceptance]
NOT_CHECKED_FOR_TAKEN = ("/gradebook/",)
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
    for operation, mode in [
        (operation, mode) for operation in operations for mode in GenerationMode
    ]:
        checks = list(CHECKS)
        if (
            mode is GenerationMode.POSITIVE
            and operation.method.upper() == "GET"
            and not any(part in operation.path for part in NOT_CHECKED_FOR_TAKEN)
        ):
            checks += READS_TAKEN

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            response = case.call(base_url=live_server.url, session=session, headers=headers)
            case.validate_response(response, checks=checks)  # noqa: B023 - run at once

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report them all
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def settings_override(settings):
    # One token sends about 1,500 requests here: far over the production rate.
    settings.API_THROTTLE_RATES = {"token": None, "user": None, "anon": None}
    return settings


def _schema(client) -> dict:
    response = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _url(path: str, ids: dict[str, int]) -> str:
    resource = path.split("/")[3]
    return path.replace("{id}", str(ids.get(resource, 1)))


@pytest.mark.django_db
def test_every_refusal_of_a_request_s_form_is_in_the_schema(world, settings):
    """Send every operation what no address takes (an Accept it cannot answer, a body
    of another type, a body past the size limit): each answer is refused with a status
    that its operation lists, and each of the three statuses is seen."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048  # a small body is "too large"
    a, _b, _root = world
    teacher, student = token_client(a.instructor), token_client(a.student)
    document = _schema(teacher)
    # Ids the instructor (or, for the students' actions, the student) may act on, so
    # that requests reach the body before access refuses them.
    ids = {
        "courses": a.course.pk,
        "modules": a.module.pk,
        "lessons": a.lesson.pk,
        "assignments": a.grading.pk,
        "reviews": a.review_o.pk,
        "regrades": a.regrade.pk,
    }
    big = json.dumps({"title": "x" * 4096})
    seen: dict[str, set[int]] = {"406": set(), "413": set(), "415": set()}
    undocumented = []
    for path, method, operation in _operations(document):
        url = _url(path, ids)
        client = (
            student
            if path.endswith(("/groups/", "/join/", "/rename-group/", "/leave/", "/submissions/"))
            else teacher
        )
        tries = {"406": {"headers": {"Accept": "text/html"}}}
        if method in ("post", "patch", "put"):
            tries["415"] = {"data": "<a/>", "content_type": "application/xml"}
            tries["413"] = {"data": big, "content_type": "application/json"}
        for expected, request in tries.items():
            response = client.generic(method.upper(), url, **request)
            if str(response.status_code) not in operation["responses"]:
                undocumented.append(f"{method.upper()} {path} ({expected}): {response.status_code}")
            if str(response.status_code) == expected:
                seen[expected].add((path, method))
    assert not undocumented, "\n".join(undocumented)
    assert all(seen.values()), seen


@pytest.mark.django_db
def test_request_bodies_refuse_fields_they_do_not_list(world):
    """Every object a request body describes says additionalProperties: false, as the
    server refuses a field it does not take."""
    a, _b, _root = world
    teacher = token_client(a.instructor)
    document = _schema(teacher)
    schemas = document["components"]["schemas"]
    open_objects = [
        name
        for name, schema in schemas.items()
        if name.endswith("Request") and schema.get("additionalProperties") is not False
    ]
    assert not open_objects
    response = teacher.patch(
        f"/api/v1/courses/{a.course.pk}/", {"titel": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "titel" in response.json()["errors"]


@pytest.mark.django_db
def test_the_schema_publishes_no_docstring(world):
    """Every operation has a summary for users; no description (of an operation, a
    body, a field) is a docstring of the API's code, which is written for developers."""
    a, _b, _root = world
    document = _schema(token_client(a.instructor))
    docstrings = set()
    for module in (base, content, grading, projects, serializers):
        for _name, obj in inspect.getmembers(module):
            if inspect.isclass(obj) or inspect.isfunction(obj):
                for member in (obj, *vars(obj).values()) if inspect.isclass(obj) else (obj,):
                    if doc := inspect.getdoc(member) if callable(member) else None:
                        docstrings.add(inspect.cleandoc(doc))
    published = []

    def collect(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("description"), str):
                published.append(node["description"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    assert published, "the schema describes nothing"
    assert not [text for text in published if text in docstrings]
    untitled = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(document)
        if not operation.get("summary")
    ]
    assert not untitled
