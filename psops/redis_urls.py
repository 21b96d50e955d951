"""Redis URLs as Celery (kombu) and redis-py each spell them.

``REDIS_URL`` is written for Celery; the cache and the pulse holding area use
redis-py, which names the Unix socket scheme and the database number differently.
"""

import re


def redis_client_url(url: str) -> str:
    """Celery's ``redis+socket://path?virtual_host=N`` is redis-py's ``unix://path?db=N``."""
    if not url.startswith("redis+socket://"):
        return url
    url = url.replace("redis+socket://", "unix://", 1)
    return re.sub(r"([?&])virtual_host=", r"\1db=", url)


def redis_url_with_database(url: str, number: int) -> str:
    """``url`` (Celery's spelling) pointed at database ``number`` of the same server."""
    if url.startswith("redis+socket://"):
        base, _, query = url.partition("?")
        params = [p for p in query.split("&") if p and not p.startswith("virtual_host=")]
        return f"{base}?{'&'.join([*params, f'virtual_host={number}'])}"
    base, _, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{number}" + (f"?{query}" if query else "")
