# Production image: gunicorn serves the app, WhiteNoise serves the static files.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .

COPY . .
RUN DEBUG=false SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input \
    && useradd --system --home /app execsupport && chown -R execsupport /app
USER execsupport

EXPOSE 8000
# Workers: one per core unless WEB_CONCURRENCY says otherwise (execsupport/gunicorn_conf.py).
CMD ["gunicorn", "--config", "python:execsupport.gunicorn_conf", "execsupport.wsgi:application"]
