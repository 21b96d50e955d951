"""``python -m devtools.with_servers <command> ...``: run a command on the embedded servers.

For what ``make run`` does not start itself (a second Celery worker, gunicorn by
hand, a shell script): the embedded PostgreSQL and Redis are started if needed
(unless ``DATABASE_URL`` / ``REDIS_URL`` name others) and their URLs passed to the
command in its environment. ``manage.py`` does this on its own.
"""

import os
import sys

from devtools.local_services import servers_ensure


def main(argv: list[str]) -> int:  # noqa: RET503 - os.execvp never returns
    if not argv:
        print("usage: python -m devtools.with_servers <command> [arguments ...]")
        return 2
    servers_ensure()
    os.execvp(argv[0], argv)  # noqa: S606 - the developer's own command line


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
