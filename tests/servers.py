"""What tests that start real server processes (web, worker) share."""

from urllib.parse import quote

from django.db import connection


def database_url(**params: str) -> str:
    """The URL of the test database, so another process reads what a test committed.

    ``params`` become query parameters (connection options such as ``application_name``).
    """
    db = connection.settings_dict
    credentials = f"{db['USER']}:{db['PASSWORD'] or ''}"
    if db["HOST"].startswith("/"):  # Unix socket of the embedded server
        params = {"host": db["HOST"], **params}
        address = f"/{db['NAME']}"
    else:
        address = f"{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params.items())
    return f"postgresql://{credentials}@{address}" + (f"?{query}" if query else "")
