"""HEAD answers the GET's headers without a body, as the WSGI server receives it.

Django's own server and test client drop a HEAD's body themselves; gunicorn dropped
it too, and logged a warning for every HEAD (a monitor checking the site every few
seconds filled the error log).
"""

from __future__ import annotations

from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler

pytestmark = pytest.mark.django_db


def served(method: str, path: str) -> tuple[str, dict, bytes]:
    """Call the site as a WSGI server does; return its status, headers and body."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    environ["wsgi.url_scheme"] = "https"  # as behind the proxy: no redirect to https
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], answer["headers"], body


@pytest.mark.parametrize("path", ["/accounts/login/", "/no-such-page/"])
def test_a_head_gets_the_gets_headers_and_no_body(path):
    status, headers, body = served("GET", path)
    assert body  # the page
    head_status, head_headers, head_body = served("HEAD", path)
    assert head_body == b""
    assert head_status == status
    assert head_headers["Content-Type"] == headers["Content-Type"]
    assert head_headers["Content-Length"] == str(len(body))
