# Production image: gunicorn serving Django, WhiteNoise serving the static files.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY accounts ./accounts
COPY trials ./trials
COPY browse ./browse
COPY curation ./curation
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install . \
    && DJANGO_SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 tracker
USER tracker

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
