# capmarket's container image: one image for every role — web server, worker, scheduler, one-off commands
# (migrate, backup, restore). Built from the project's own files only:
#   docker build -t capmarket .
# Roles (see deploy/compose.yaml and docs/production.md):
#   docker run … capmarket serve                 web server (gunicorn, port 8000)
#   docker run … capmarket worker --no-beat      background-job worker (as many as needed, on any machine)
#   docker run … capmarket scheduler             the periodic tick (margin poller, e-mail retries, dunning, reports)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Noto CJK for Japanese PDFs (WeasyPrint renders with Pango); pg_dump/pg_restore 15 for capmarket backup/restore.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN groupadd --system --gid 10001 capmarket \
    && useradd --system --uid 10001 --gid capmarket --home-dir /app --no-create-home capmarket \
    && mkdir -p /var/lib/capmarket /srv/capmarket \
    && chown capmarket:capmarket /var/lib/capmarket /srv/capmarket

COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY capmarket ./capmarket
RUN pip install --no-compile -c constraints.txt ".[s3]"

# Static files collected, hashed and compressed at build time; whitenoise serves them from the application.
ENV CAPMARKET_STATIC_ROOT=/app/static \
    CAPMARKET_STATIC_COLLECTED=1 \
    CAPMARKET_VAR_DIR=/var/lib/capmarket \
    CAPMARKET_MEDIA_DIR=/srv/capmarket/media \
    CAPMARKET_DATASETS_DIR=/srv/capmarket/datasets \
    CAPMARKET_BIND=0.0.0.0:8000
RUN CAPMARKET_SECRET_KEY=collectstatic-only CAPMARKET_VAR_DIR=/tmp/build-var \
        capmarket collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-var

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["capmarket"]
CMD ["serve"]
