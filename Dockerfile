# syntax=docker/dockerfile:1
# 能力作风建设平台 — production image: gunicorn (web), Celery worker and beat share it.
#
#   docker compose build && docker compose up -d     (see docker-compose.yml, .env.example)
#
# Stage 1 installs the front-end assets from npm; stage 2 installs the Python package,
# compiles the translations and collects static files; stage 3 is what runs, as a non-root
# user, with nothing that only the build needed (npm, gettext, compilers).

FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY . .
COPY --from=assets /build/node_modules ./node_modules
RUN pip install .
# Settings are read at build time too; this key exists only for the length of this RUN.
RUN export DJANGO_SETTINGS_MODULE=config.settings.production ALLOWED_HOSTS=build \
        SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
        STATIC_ROOT=/app/staticfiles \
    && python manage.py compilemessages -l zh_Hans --ignore=node_modules/* -v 0 \
    && python manage.py collectstatic --noinput -v 0

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media
RUN useradd --system --uid 10001 --create-home --home-dir /home/nlzf nlzf \
    && mkdir -p /data/media /data/beat \
    && chown -R nlzf:nlzf /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
USER nlzf
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py", "web"]
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--timeout", "60"]
