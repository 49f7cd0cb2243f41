# The production image: the app under gunicorn, static files served by whitenoise.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The production lock first (pinned, hashed; no dev, train or embedded extras), in a layer of its own
# that a code change does not rebuild; then the project without resolving anything again.
COPY requirements/base.txt ./requirements/base.txt
RUN pip install -r requirements/base.txt
COPY pyproject.toml README.md ./
COPY newsroom ./newsroom
COPY annotations ./annotations
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install --no-deps . && useradd --system --home /app newsroom

# collectstatic needs settings but no database or secrets of production.
RUN DEBUG=false SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
    STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput

USER newsroom
ENV STATIC_ROOT=/app/staticfiles
EXPOSE 8000
CMD ["gunicorn", "newsroom.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
