"""The container's HEALTHCHECK (coursesite/healthcheck.py), run as Docker runs it: a new
process asking the real server where gunicorn's settings say it listens."""

from __future__ import annotations

import http.server
import os
import socket
import socketserver
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from coursesite import healthcheck

ROOT = Path(__file__).resolve().parents[2]


def run_healthcheck(bind: str, allowed_hosts: str) -> int:
    env = {**os.environ, "GUNICORN_BIND": bind, "DJANGO_ALLOWED_HOSTS": allowed_hosts}
    command = [sys.executable, "-m", "coursesite.healthcheck"]
    result = subprocess.run(command, cwd=ROOT, env=env, timeout=30, check=False)  # noqa: S603 - our module
    return result.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def public_site(live_server, settings):
    """The live server as production configures it: only its public host allowed."""
    settings.ALLOWED_HOSTS = ["courses.example.org"]
    return urlsplit(live_server.url).port


@pytest.mark.django_db(transaction=True)
def test_healthy_where_gunicorn_listens_with_an_allowed_host(public_site):
    assert run_healthcheck(f"127.0.0.1:{public_site}", "courses.example.org") == 0
    # Every interface is asked on the loopback one; a leading dot allows the domain.
    assert run_healthcheck(f"0.0.0.0:{public_site}", ".courses.example.org,x.org") == 0


@pytest.mark.django_db(transaction=True)
def test_the_old_check_was_refused_by_a_production_host_list(public_site):
    # Asked as 127.0.0.1, Django refuses the host (400): the container never got healthy.
    assert not healthcheck.healthy(f"127.0.0.1:{public_site}", "127.0.0.1")
    assert healthcheck.healthy(f"127.0.0.1:{public_site}", "courses.example.org")


def test_unhealthy_when_nothing_listens():
    assert run_healthcheck(f"127.0.0.1:{free_port()}", "courses.example.org") == 1


def test_a_unix_socket_bind_is_asked_on_its_socket(tmp_path):
    path = tmp_path / "gunicorn.sock"
    seen = []

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            seen.append((self.path, self.headers["Host"]))
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    class UnixHTTPServer(socketserver.UnixStreamServer):
        def get_request(self):
            request, _ = super().get_request()
            return request, ("local", 0)

    server = UnixHTTPServer(str(path), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert run_healthcheck(f"unix:{path}", "courses.example.org") == 0
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [("/healthz", "courses.example.org")]


def test_host_names_django_accepts():
    assert healthcheck.host_for("") == "localhost"
    assert healthcheck.host_for("*") == "localhost"
    assert healthcheck.host_for(" *, courses.example.org") == "courses.example.org"
    assert healthcheck.host_for("[::1],localhost") == "[::1]"


@pytest.mark.parametrize(
    ("bind", "address"),
    [
        ("localhost", ("localhost", 8000)),
        ("0.0.0.0", ("127.0.0.1", 8000)),  # noqa: S104 - a bind read, not made
        ("[::]", ("::1", 8000)),
        ("[::]:9000", ("::1", 9000)),
        ("tcp://0.0.0.0:9001", ("127.0.0.1", 9001)),
        (":8002", ("127.0.0.1", 8002)),
        ("fd://3", ("127.0.0.1", 8000)),
        ("", ("127.0.0.1", 8000)),
    ],
)
def test_every_bind_gunicorn_takes_is_read_as_gunicorn_reads_it(bind, address):
    """ "localhost", "0.0.0.0" or "[::]" alone (gunicorn's port 8000) crashed the check."""
    connection = healthcheck.connection_for(bind)
    assert (connection.host, connection.port) == address


def test_a_unix_bind_with_two_slashes_is_relative_as_for_gunicorn():
    assert healthcheck.connection_for("unix://run/web.sock")._path == "run/web.sock"
    assert healthcheck.connection_for("unix:///run/web.sock")._path == "/run/web.sock"
    assert healthcheck.connection_for("unix:/run/web.sock")._path == "/run/web.sock"
