# The seed-assets image: the code location, the webserver, the daemon and the `seed` command
# (docker-compose.yml runs each from it). Dependencies come from uv.lock, exactly.
FROM python:3.11-slim
WORKDIR /opt/seed-assets
ENV UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/home PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir uv==0.13.8
# Dependencies first (a layer that survives code changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-install-project --compile-bytecode
COPY seed_assets ./seed_assets
COPY jobs ./jobs
RUN uv sync --locked --compile-bytecode
COPY workspace.yaml ./
COPY deploy ./deploy
COPY deploy/dagster.yaml $DAGSTER_HOME/dagster.yaml
RUN useradd --system --create-home seed && chown -R seed $DAGSTER_HOME
USER seed
EXPOSE 3000 4000
