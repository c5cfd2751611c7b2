# syntax=docker/dockerfile:1
# Production image: gunicorn serving coursesite, static files by whitenoise. The task
# worker runs from the same image (README.md, "Production").
FROM python:3.13-slim AS base

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# bubblewrap: the sandbox the worker runs autograding tests in, with libseccomp for its
# system-call filter (docs/autograding.md). Unpinned, as scripts/system-packages.sh
# installs them: the base image's Debian release fixes their versions.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap libseccomp2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies in their own layer: rebuilt only when requirements.txt changes.
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir -r /app/requirements.txt

# A fixed numeric user: Kubernetes' runAsNonRoot can check it, and a bind-mounted
# folder (backups) can be made writable for it (uid 10001).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app app

COPY . /app

# Static files are collected at build time with throwaway settings. The code stays
# root's; what the site writes goes to the three folders app owns (mount volumes there):
# the SQLite database and its write-ahead log (data), uploads (media), and the worker's
# test environments (var/autograding). Group 0 may write them too: OpenShift runs the
# image as an arbitrary user of that group.
RUN DJANGO_SECRET_KEY=build-only-key DJANGO_DEBUG=0 python manage.py collectstatic --noinput \
    && mkdir -p /app/data /app/media /app/var/autograding \
    && chown -R app:0 /app/data /app/media /app/var \
    && chmod -R g=u /app/data /app/media /app/var

USER 10001:10001
EXPOSE 8000
ENV DJANGO_SETTINGS_MODULE=coursesite.settings \
    DATABASE_URL=sqlite:////app/data/db.sqlite3 \
    DJANGO_MEDIA_ROOT=/app/media \
    AUTOGRADING_ROOT=/app/var/autograding

# 503 until the database answers with its tables: run
#   docker run IMAGE python manage.py migrate
# first, with the same volumes or DATABASE_URL.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "coursesite.healthcheck"]

# The background worker (emails, autograding runs) runs from the same image:
#   docker run IMAGE python manage.py db_worker
CMD ["gunicorn", "coursesite.wsgi", "--config", "gunicorn.conf.py"]
