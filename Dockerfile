# The seed-assets code location image (also used for the webserver and daemon in compose).
FROM python:3.11-slim
WORKDIR /opt/seed-assets
ENV UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock README.md ./
COPY seed_assets ./seed_assets
COPY jobs ./jobs
RUN uv sync --locked --no-dev --compile-bytecode
COPY workspace.yaml ./
COPY deploy/dagster.yaml /opt/dagster/home/dagster.yaml
ENV DAGSTER_HOME=/opt/dagster/home
