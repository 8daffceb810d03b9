# One image for web, worker and beat: the same Procfile entries `make run` starts.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var MEDIA_ROOT=/data/media
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# Build-time only: translations and static files need settings but no secrets.
RUN DJANGO_DEBUG=1 python manage.py compilemessages --ignore=.venv -v0 \
 && DJANGO_DEBUG=0 SECRET_KEY=build-only-not-secret-build-only-not-secret python manage.py collectstatic --noinput -v0 \
 && rm -f var/secret_key \
 && useradd --system --home /app opinion && mkdir -p /data/media && chown -R opinion /app/var /data
USER opinion
EXPOSE 8000
CMD ["honcho", "start", "--no-prefix", "web"]
