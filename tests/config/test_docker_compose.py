"""docker-compose.yml, read against the settings (Docker itself does not run in CI)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS = (ROOT / "config" / "settings.py").read_text()


def test_every_service_comes_back_after_a_crash_or_a_reboot():
    restarts = {name: service.get("restart") for name, service in COMPOSE["services"].items()}
    services = ("postgres", "pgbouncer", "redis", "web", "worker", "beat")
    assert restarts == dict.fromkeys(services, "unless-stopped")


def test_the_app_reaches_postgresql_through_pgbouncer_in_session_mode():
    """django-tenants sets search_path per connection: transaction pooling would hand
    one client's schema to another's transaction."""
    import configparser

    for name in ("web", "worker", "beat"):
        url = COMPOSE["services"][name]["environment"]["DATABASE_URL"]
        assert "@pgbouncer:6432/" in url
    bouncer = COMPOSE["services"]["pgbouncer"]
    assert "./deploy/pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro" in bouncer["volumes"]
    ini = configparser.ConfigParser()
    ini.read(ROOT / "deploy" / "pgbouncer.ini")
    assert ini["pgbouncer"]["pool_mode"] == "session"
    assert ini["pgbouncer"]["listen_port"] == "6432"
    assert ini["pgbouncer"]["server_reset_query"] == "DISCARD ALL"
    assert "host=postgres port=5432" in ini["databases"]["psops"]


def test_the_broker_persists_and_never_evicts():
    redis = COMPOSE["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync everysec" in command
    assert "--maxmemory-policy noeviction" in command
    assert "redis:/data" in redis["volumes"]
    assert "redis" in COMPOSE["volumes"]


def test_the_app_refuses_to_start_without_a_secret_and_defaults_to_secure():
    app_env = COMPOSE["services"]["web"]["environment"]
    assert app_env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert app_env["PSOPS_URL_SCHEME"] == "${PSOPS_URL_SCHEME:-https}"
    assert app_env["SECURE_COOKIES"] == "${SECURE_COOKIES:-true}"
    assert "DEBUG" not in app_env


def test_every_variable_the_compose_file_sets_is_one_the_settings_read():
    app_env = COMPOSE["services"]["web"]["environment"]
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', SETTINGS))
    assert set(app_env) - read == set()
