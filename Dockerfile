# One image for web, worker and gpu-worker. torch comes from the registry's default
# Linux build, which carries CUDA, so the same image runs on CPU and GPU hosts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ARG TORCH_VERSION=2.13.0
RUN pip install --upgrade pip "setuptools>=69" wheel \
    && pip install "torch==${TORCH_VERSION}" \
    && DS_BUILD_OPS=0 pip install --no-build-isolation "deepspeed>=0.17,<1"

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir config common generation corpus training annotation reports demo \
    && pip install --editable ".[ml]"

COPY . .
# collectstatic reads the settings, which want a key; this one exists only in this step.
RUN DJANGO_SECRET_KEY="collectstatic-only-$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --create-home --uid 1000 souleval && mkdir -p /app/var && chown souleval /app/var
USER souleval
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
