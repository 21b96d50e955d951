FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY . .
# Runtime dependencies only: the embedded servers (extra "local") are for development.
RUN pip install --no-cache-dir -c requirements.lock -e . \
    && useradd --create-home --uid 1000 psops \
    && mkdir -p /app/.data/media /app/.data/staticfiles \
    && chown -R psops /app/.data
USER psops
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
