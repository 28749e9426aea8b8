# The one image of the product; the command picks the part: `db upgrade` (once per release), api, worker,
# departments (the demo stubs). docker-compose.yml runs them all; docs/operations.md explains the topology.
FROM python:3.11-slim-bookworm

# uv pinned (the version the project is developed with), never the moving "latest" tag: a rebuild gets the same installer.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv

ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# Dependencies first, from the lock file alone: a change of the sources reuses this layer.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --extra postgres --no-install-project
COPY . .
RUN uv sync --locked --no-dev --extra postgres

# Not root: the processes own nothing but their data folder (the stubs' SQLite file in the demo profile).
RUN groupadd --system --gid 10001 onething \
    && useradd --system --uid 10001 --gid onething --home-dir /app --shell /usr/sbin/nologin onething \
    && mkdir -p /data/calendar && chown -R onething:onething /data
USER 10001:10001

ENV PATH="/app/.venv/bin:$PATH" ONETHING_DATA_DIR=/data PYTHONUNBUFFERED=1
ENTRYPOINT ["onething"]
CMD ["--help"]
