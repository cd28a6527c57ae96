# Layerwise: one container, SQLite (or PostgreSQL via LAYERWISE_DATABASE_URL) on a volume.
# CPU build of PyTorch by default; for a GPU host build with
#   --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128
# (docker-compose.gpu.yml does). The entry point migrates the database, then serves.
FROM python:3.11-slim-bookworm

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LAYERWISE_DATA_DIR=/data \
    LAYERWISE_HOST=0.0.0.0 \
    LAYERWISE_PORT=8000

WORKDIR /app

# pg_dump, pg_restore and psql (Debian bookworm's PostgreSQL 15 client) for
# `layerwise backup` and `layerwise restore` against PostgreSQL. The major version is named;
# Debian's point releases within it are security fixes that a rebuild should pick up.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

# torch first, pinned, from the chosen index: nothing later may pull another build.
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0

COPY pyproject.toml README.md ./
COPY app ./app
COPY bench ./bench
RUN pip install -e .

COPY templates ./templates
COPY static ./static
COPY curriculum ./curriculum
COPY docker/entrypoint.sh /usr/local/bin/layerwise-entrypoint

RUN groupadd --system --gid 10001 layerwise \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin layerwise \
    && mkdir -p /data \
    && chown 10001:10001 /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('LAYERWISE_PORT', '8000')}/healthz\", timeout=4)"]

ENTRYPOINT ["layerwise-entrypoint"]
CMD ["serve"]
