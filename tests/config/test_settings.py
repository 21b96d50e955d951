"""Importing the settings starts nothing and connects nowhere: every tool that reads
them (a linter, a type checker, gunicorn's import) gets a module, not a server."""

import os
import subprocess
import sys

from django.conf import settings

SETTINGS_IMPORT = "import config.settings as s; print(s.DATABASES['default']['NAME'])"


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "PSOPS_DATA_DIR": "/nonexistent/psops-settings-test", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_server_urls_the_settings_say_what_to_set_and_start_nothing(tmp_path):
    # A .env in the checkout could name servers; this run must not see one.
    done = _python(
        "import environ; environ.Env.read_env = lambda *a, **k: None; " + SETTINGS_IMPORT
    )

    assert done.returncode != 0
    assert "DATABASE_URL and REDIS_URL must be set" in done.stderr
    assert not os.path.exists("/nonexistent/psops-settings-test")


def test_with_server_urls_the_settings_import_without_connecting():
    done = _python(
        SETTINGS_IMPORT,
        # Nothing listens here: an import that connected would fail.
        DATABASE_URL="postgres://nobody@127.0.0.1:9/unreachable",
        REDIS_URL="redis://127.0.0.1:9/0",
        SECRET_KEY="only-for-this-test",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "unreachable"
