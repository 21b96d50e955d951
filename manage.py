#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        # Development: the embedded servers, unless .env names others (devtools).
        from devtools.local_services import servers_ensure

        servers_ensure()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
