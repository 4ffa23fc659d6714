# syntax=docker/dockerfile:1
# The shop in a container: `docker compose up -d` (compose.yaml), or see docs/deployment.md.
# No secret is baked in: the configuration comes from the environment at run time (.env).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtual environment with the shop and its dependencies ---------------------------
FROM ${PYTHON_IMAGE} AS build
ENV VIRTUAL_ENV=/opt/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv "$VIRTUAL_ENV"
# The dependencies alone first: their layer is built again only when pyproject.toml or the lock
# changes. requirements.lock pins them to the versions the tests ran with.
COPY pyproject.toml README.md requirements.lock ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && "$VIRTUAL_ENV/bin/pip" install --requirement requirements.txt --constraint requirements.lock
# Then the shop itself (its locales and migrations travel as package data).
COPY bot ./bot
COPY handlers ./handlers
COPY providers ./providers
COPY storage ./storage
COPY sandbox ./sandbox
RUN --mount=type=cache,target=/root/.cache/pip \
    "$VIRTUAL_ENV/bin/pip" install --no-deps .

# --- runtime: the environment alone, run by a user of its own -----------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# No shell, no password, no home but the data: /data is the only place it may write.
RUN groupadd --system --gid 10001 storefront \
    && useradd --system --uid 10001 --gid storefront --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin storefront \
    && mkdir -p /data \
    && chown storefront:storefront /data \
    && chmod 0700 /data
# A virtual environment cannot move: it keeps the path it was built at.
COPY --from=build /opt/venv /opt/venv
# The container's shape, not an operator's choice: compose.yaml sets the same over .env.
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_PATH=/data/shop.sqlite3 \
    BACKUP_DIR=/data/backups \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8088
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
# The bot's own web server: the Telegram webhook, upstream callbacks, /healthz and /readyz.
EXPOSE 8088
# SIGTERM stops taking updates, lets those in hand and a job under way finish, then exits: give it
# the time (`docker stop --time 90`; compose.yaml's stop_grace_period; docs/deployment.md).
STOPSIGNAL SIGTERM
# Alive: the event loop answers. Python's urllib, as the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('WEB_PORT', '8088') + '/healthz', timeout=4)"]
CMD ["python", "-m", "bot", "run"]
