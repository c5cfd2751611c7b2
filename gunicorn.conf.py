"""gunicorn settings: `gunicorn coursesite.wsgi` picks this file up from the working directory."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The usual (2 x cores) + 1 sync workers; override with WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# An empty GUNICORN_ACCESS_LOG turns the access log off (the benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Reset and invitation links' tokens and the back office's searches stay out of it.
logger_class = "coursesite.accesslog.AccessLogger"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (gunicornc) lives at one path per user: every instance a user
# starts replaced the last one's, and in the image ($HOME is /app, not the app user's to
# write) each start logged "Control server error" (probe 52). A path of its own turns it on.
if control_socket := os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket_disable = False
else:
    control_socket_disable = True
# Load Django once in the master and fork ready workers: a recycled worker starts in
# milliseconds instead of spending a second of CPU importing the project, which showed
# as p99 stalls of 0.5-1.5 s on every page in `make bench` (docs/performance.md).
# Nothing connects at import time (database and Redis connect on first use), so no
# socket is shared between workers.
preload_app = True
# Recycle workers now and then so a slow leak can never take a server down; rarely,
# because a fresh worker is slower for its first requests (it copies the pages of
# the shared heap it touches, and opens its connections): at every 2,000 requests the
# benchmark lost ~10 % of its throughput to recycling.
max_requests = 100000
max_requests_jitter = 10000


def when_ready(server) -> None:
    # Move the preloaded objects out of the garbage collector's reach, so that its
    # passes do not write to (and so copy) every shared page in each worker.
    gc.freeze()
