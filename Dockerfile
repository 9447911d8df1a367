# One image for every releasewatch process: crawler workers, the ingester, the
# scheduler and Datasette (see compose.yaml and docs/scaling.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SCRAPY_SETTINGS_MODULE=crawler.settings \
    RELEASEWATCH_DB=/data/releasewatch.db

WORKDIR /app
COPY pyproject.toml setup.py scrapy.cfg README.md ./
COPY crawler ./crawler
COPY spiders ./spiders
COPY storage ./storage
RUN pip install . \
    && useradd --create-home --uid 1000 releasewatch \
    && mkdir -p /data /cache /app/.scrapy \
    && chown releasewatch /data /cache /app/.scrapy

USER releasewatch
VOLUME ["/data", "/cache"]
CMD ["releasewatch", "--help"]
