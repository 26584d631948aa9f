# Production image for the Cambodia Crafts Marketplace.
#
#   docker build -t marketplace .
#   docker run -p 8000:8000 -e MARKETPLACE_SECRET_KEY=... -v marketplace-var:/app/var marketplace
#   docker run -e MARKETPLACE_SECRET_KEY=... -v marketplace-var:/app/var marketplace marketplace worker
#
# How the code is found: marketplace/config.py sets BASE_DIR to the directory that contains
# the `marketplace` package and looks for templates/, static/, migrations/ and alembic.ini
# there. A regular `pip install` would put the package in site-packages, where those are
# missing. So the venv (/opt/venv) provides the dependencies and the `marketplace` console
# script, the source tree is copied to /app, and PYTHONPATH=/app puts /app ahead of
# site-packages on sys.path: `import marketplace` loads /app/marketplace and BASE_DIR is /app.
# The copy pip also installed in site-packages is shadowed and never imported; the final
# stage checks this at build time.

# ---- builder: dependencies in /opt/venv, compiled message catalogs in /src ----
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src
# pyproject.toml names README.md as the package readme, so the build needs it.
COPY pyproject.toml README.md ./
COPY marketplace ./marketplace
RUN pip install /src \
    && pybabel compile -d marketplace/locale -D messages

# ---- runtime ----
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MARKETPLACE_ENVIRONMENT=production
# Two malloc arenas instead of one per thread (up to 16 here): the worker's 40 threads
# otherwise keep tens of megabytes of freed memory between them (bench/README.md).
ENV MALLOC_ARENA_MAX=2

# Invoice PDFs embed Noto Sans Khmer (shaped by HarfBuzz through fpdf2) and DejaVu Sans.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The code is owned by root and read-only for the app user; only /app/var is writable.
COPY alembic.ini pyproject.toml ./
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# From the builder: the package with its compiled .mo files (newer than the .po files).
COPY --from=builder /src/marketplace ./marketplace

RUN python -c "import marketplace.config as c; assert str(c.BASE_DIR) == '/app', c.BASE_DIR" \
    && python -m compileall -q /app/marketplace /app/migrations \
    && mkdir -p /app/var \
    && chown app:app /app/var

# Default SQLite database, mail files written by the worker without SMTP (MARKETPLACE_VAR_DIR).
VOLUME ["/app/var"]

USER app
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Behind a reverse proxy, set MARKETPLACE_TRUSTED_PROXIES to its addresses (IPs or CIDRs) so
# its X-Forwarded-For/Proto are trusted, and MARKETPLACE_HTTPS=true when served over HTTPS.
CMD ["sh", "-c", "marketplace migrate && exec marketplace serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-4}"]
