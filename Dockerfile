# RHMS application image: one image for web (gunicorn with uvicorn workers), worker and beat (celery); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Every dependency ships a manylinux wheel (psycopg[binary], Pillow, argon2-cffi): no compiler or system libs needed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# Settings refuse to import with debug off unless both keys are long and differ: throwaway values for this step only,
# never baked into the image as ENV.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY=build-only-collectstatic-secret-key-not-used-at-runtime-0000000000 \
    JWT_SIGNING_KEY=build-only-collectstatic-jwt-signing-key-not-used-at-runtime-1111111 \
    python manage.py collectstatic --noinput \
    && groupadd --system --gid 10001 rhms \
    && useradd --system --uid 10001 --gid rhms --no-create-home --home-dir /app --shell /usr/sbin/nologin rhms \
    && mkdir -p /app/media \
    && chown rhms:rhms /app/media

USER rhms

EXPOSE 8000

# /healthz checks the database and the broker. The Host header must be an allowed host (BASE_DOMAIN).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': os.environ.get('BASE_DOMAIN', 'localhost')}), timeout=4)" || exit 1

# Shell form so that WEB_CONCURRENCY expands at run time; exec makes gunicorn PID 1 (receives SIGTERM). ASGI
# (uvicorn workers): the live event streams wait without holding a worker; other requests run as under WSGI.
CMD exec gunicorn config.asgi:application -k uvicorn_worker.UvicornWorker --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --graceful-timeout 10 --access-logfile - --error-logfile -
