# The one image of the product; the command picks the part: worker, api or departments.
FROM python:3.11-slim
COPY --from=ghcr.io/astral-sh/uv:latest /uv /usr/local/bin/uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --extra postgres --no-install-project
COPY . .
RUN uv sync --locked --no-dev --extra postgres
ENV PATH="/app/.venv/bin:$PATH" ONETHING_DATA_DIR=/data
ENTRYPOINT ["onething"]
