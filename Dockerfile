# Production image, in two stages. The build stage installs the locked dependencies (pinned
# with hashes: requirements/deploy.lock, `make lock`) into a virtualenv and assembles the app's
# runtime files (tools/runtime_files.py: no tests, benchmarks, docs, build tools or demo
# seeder) with its collected static files. The runtime stage copies only those two, owned by
# root and read-only to the unprivileged user that runs gunicorn (WhiteNoise serves static).
FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY requirements/deploy.lock /tmp/deploy.lock
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-deps --require-hashes --only-binary=:all: \
       -r /tmp/deploy.lock

WORKDIR /src
COPY . .
RUN python tools/runtime_files.py /src /app \
    && cd /app \
    && DEBUG=false SECRET_KEY=build-only-not-secret \
       /opt/venv/bin/python manage.py collectstatic --no-input --verbosity 0

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
# WeasyPrint's system libraries (PDF of review packs, execsupport/pdf.py) and a font for it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
RUN useradd --system --no-create-home --home-dir /app execsupport
USER execsupport

EXPOSE 8000
# Workers: one per core unless WEB_CONCURRENCY says otherwise (execsupport/gunicorn_conf.py).
CMD ["gunicorn", "--config", "python:execsupport.gunicorn_conf", "execsupport.wsgi:application"]
