"""The staging deployment: docker-compose.yml, the workspace, and a Postgres-backed instance.

No Docker engine runs here, so the compose file is parsed and checked; the instance config is
loaded for real against the test PostgreSQL.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_postgres_the_code_location_webserver_and_daemon() -> None:
    services = compose()["services"]
    assert {"postgres", "code-location", "webserver", "daemon"} <= set(services)
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    for name in ("code-location", "webserver", "daemon", "seed-init"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["build"] == "."
    code = services["code-location"]["command"]
    assert code[:3] == ["dagster", "code-server", "start"]
    assert code[code.index("-m") + 1] == "seed_assets.definitions"
    assert services["webserver"]["command"][0] == "dagster-webserver"
    assert services["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    assert services["seed-init"]["command"] == ["seed", "init"]
    # The webserver and the daemon load the workspace that points at the code location's port.
    for name in ("webserver", "daemon"):
        command = services[name]["command"]
        workspace = yaml.safe_load((ROOT / command[command.index("-w") + 1]).read_text())
        [server] = [entry["grpc_server"] for entry in workspace["load_from"]]
        assert server["host"] == "code-location" and server["host"] in services
        assert str(server["port"]) == code[code.index("-p") + 1]
    init = services["postgres"]["volumes"][0]
    assert init.startswith("./deploy/init-dagster-db.sql:/docker-entrypoint-initdb.d/")
    assert "CREATE DATABASE dagster" in (ROOT / "deploy/init-dagster-db.sql").read_text()


def test_compose_environment_is_staging_and_holds_no_literal_password() -> None:
    services = compose()["services"]
    env = services["code-location"]["environment"]
    assert all(services[n]["environment"] == env for n in ("webserver", "daemon", "seed-init"))
    assert env["SEED_ENVIRONMENT"] == "staging" and env["SEED_ALLOWED_HOSTS"] == "postgres"
    url = urlsplit(re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", "PASSWORD", env["DATABASE_URL"]))
    assert (url.hostname, url.password, url.path) == ("postgres", "PASSWORD", "/seed")
    assert env["DAGSTER_PG_HOST"] == "postgres" and env["DAGSTER_PG_DB"] == "dagster"
    passwords = [
        env["DAGSTER_PG_PASSWORD"],
        services["postgres"]["environment"]["POSTGRES_PASSWORD"],
    ]
    assert all(p.startswith("${POSTGRES_PASSWORD") for p in passwords)  # given at `up` time
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert (
        "uv sync --locked" in dockerfile and "COPY deploy/dagster.yaml $DAGSTER_HOME" in dockerfile
    )


def test_instance_config_reads_every_connection_parameter_from_the_environment() -> None:
    config = yaml.safe_load((ROOT / "deploy/dagster.yaml").read_text())
    db = config["storage"]["postgres"]["postgres_db"]
    assert db["scheme"] == "postgresql+psycopg2"  # DESIGN §5: not psycopg 3 under SQLAlchemy 2.1
    for key in ("hostname", "port", "db_name", "username", "password"):
        assert set(db[key]) == {"env"}, key


@dg.op
def ping() -> int:
    return 1


@dg.job
def trivial() -> None:
    ping()


def test_deploy_dagster_yaml_is_a_working_postgres_instance(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy/dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with fresh_database(server_url, "dagster") as url:
        info = conninfo_to_dict(url)
        host = str(info.get("host") or "")
        if host.startswith("/"):  # a Unix socket (the embedded server): libpq reads PGHOST
            monkeypatch.setenv("PGHOST", host)
            host = ""
        monkeypatch.setenv("DAGSTER_PG_HOST", host)
        monkeypatch.setenv("DAGSTER_PG_PORT", str(info.get("port") or 5432))
        monkeypatch.setenv("DAGSTER_PG_DB", str(info["dbname"]))
        monkeypatch.setenv("DAGSTER_PG_USERNAME", str(info.get("user") or "postgres"))
        monkeypatch.setenv("DAGSTER_PG_PASSWORD", str(info.get("password") or ""))
        with dg.DagsterInstance.get() as instance:
            assert "dagster_postgres" in type(instance.run_storage).__module__
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert instance.get_runs() == []
            result = trivial.execute_in_process(instance=instance)  # event writes (NOTIFY)
            assert result.success
            assert [r.run_id for r in instance.get_runs()] == [result.run_id]
            assert instance.all_logs(result.run_id)
