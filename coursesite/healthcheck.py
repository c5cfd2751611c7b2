"""The container's health check: ask /healthz where gunicorn listens.

Run by the Dockerfile's HEALTHCHECK as ``python -m coursesite.healthcheck``; exits 0 when
the site answers 200, 1 otherwise. It reads ``GUNICORN_BIND`` as gunicorn.conf.py does,
so a server moved to another port or to a Unix socket is still checked where it is (a
fixed port 8000 marked such a container unhealthy for ever), and names the first of
``DJANGO_ALLOWED_HOSTS`` as its host, which Django accepts (127.0.0.1 is refused once
the list names only the public host). Standard library only: it runs every 30 s and
must not import Django.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys

DEFAULT_BIND = "0.0.0.0:8000"  # gunicorn.conf.py's default
TIMEOUT = 4  # seconds; the HEALTHCHECK allows 5


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=TIMEOUT)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(self._path)


def connection_for(bind: str) -> http.client.HTTPConnection:
    """Return a connection to the address gunicorn's BIND names, read as gunicorn reads
    it, from inside the host: an address listening on every interface is asked on the
    loopback one. An inherited socket (fd://) is asked at gunicorn's default port."""
    bind = bind.split()[0] if bind.strip() else DEFAULT_BIND
    if bind.startswith("unix://"):  # gunicorn: unix://run/x.sock is relative
        return _UnixConnection(bind.removeprefix("unix://"))
    if bind.startswith("unix:"):
        return _UnixConnection(bind.removeprefix("unix:"))
    if bind.startswith("fd://"):
        bind = DEFAULT_BIND
    bind = bind.removeprefix("tcp://")
    host, port = bind, ""
    if bind.startswith("[") and "]" in bind:
        host, _, rest = bind[1:].partition("]")
        port = rest.removeprefix(":")
    elif ":" in bind:
        host, _, port = bind.partition(":")
    if host in ("", "0.0.0.0"):  # noqa: S104 - read, not bound
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return http.client.HTTPConnection(host, int(port) if port.isdigit() else 8000, timeout=TIMEOUT)


def host_for(allowed_hosts: str) -> str:
    """Return a host name Django accepts, from ``DJANGO_ALLOWED_HOSTS`` as settings read it."""
    for name in allowed_hosts.split(","):
        name = name.strip().lstrip(".")  # ".example.org" allows example.org
        if name and name != "*":
            return name
    return "localhost"


def healthy(bind: str, host: str = "localhost") -> bool:
    connection = connection_for(bind)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


if __name__ == "__main__":
    bind = os.environ.get("GUNICORN_BIND", DEFAULT_BIND)
    host = host_for(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))
    sys.exit(0 if healthy(bind, host) else 1)
