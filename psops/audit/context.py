"""Who is writing: told to the audit triggers with every write statement.

A request (``AuditContextMiddleware``), a Celery task (``task_prerun``) or a
management command sets the acting context; every write statement on the
connection is then prefixed with ``SELECT set_config('psops.audit_context', …, true)``,
which lasts to the end of that statement's transaction. Per statement, not per
session: a setting left on a pooled connection after a failed request would
attribute the next request's writes to the wrong person.

The person is read at each write, not when the request starts: a request that writes
nothing costs nothing (``request.user`` is lazy), and a sign-in's later writes are the
new user's.
"""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse

Context = dict[str, Any]
_current: ContextVar[Callable[[], Context] | None] = ContextVar("audit_context", default=None)

# Statements that cannot write a row, or that cannot be prefixed (they run outside a
# transaction block); the same list django-pghistory keeps for its context.
_NOT_WRITES = (
    "select",
    "vacuum",
    "analyze",
    "checkpoint",
    "discard",
    "load",
    "cluster",
    "reindex",
    "create",
    "alter",
    "drop",
    "set ",
    "show",
    "begin",
    "start",
    "commit",
    "rollback",
    "savepoint",
    "release",
    "lock",
    "listen",
    "notify",
    "explain",
    "copy",
    "prepare",
)
_PREFIX = "SELECT set_config('psops.audit_context', %s, true); "


@contextmanager
def audit_context(values: Context | Callable[[], Context]) -> Iterator[None]:
    """Attribute the writes inside the block to ``values`` (or what it returns when the
    first write happens): ``kind``, ``user``, ``label``, ``token``, ``ip``, ``ua``,
    ``origin``."""
    token = _current.set(values if callable(values) else (lambda: values))
    try:
        yield
    finally:
        _current.reset(token)


def current_context() -> Context:
    builder = _current.get()
    return builder() if builder is not None else _process_context()


def _process_context() -> Context:
    """Writes outside any request or task: a management command, a shell."""
    program = Path(sys.argv[0]).name if sys.argv else "python"
    if program == "manage.py" and len(sys.argv) > 1:
        return {
            "kind": "job",
            "label": f"command {sys.argv[1]}",
            "origin": " ".join(["manage.py", *sys.argv[1:2]]),
        }
    return {"kind": "job", "label": f"process {program}", "origin": program}


def _serialized() -> str:
    return json.dumps(current_context(), separators=(",", ":"), default=str)


def _first_word(sql: str) -> str:
    """The statement's first keyword, past leading comments."""
    text = sql.lstrip()
    while text.startswith(("--", "/*")):
        end = text.find("\n") if text.startswith("--") else text.find("*/") + 1
        if end <= 0:
            return ""
        text = text[end + 1 :].lstrip()
    return text[:12].lower()


def _is_write(sql: str) -> bool:
    first = _first_word(sql)
    return bool(first) and not first.startswith(_NOT_WRITES)


def _inject(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
    """Django's execute wrapper: prefix each write statement with the context."""
    text = sql.decode() if isinstance(sql, bytes) else sql
    cursor = context["cursor"]
    if not _is_write(text) or getattr(cursor, "name", None):
        return execute(sql, params, many, context)
    if many:
        # executemany cannot carry a prefix: set it for the open transaction first
        # (outside one, the statements stay attributed to the database role).
        if context["connection"].in_atomic_block:
            cursor.execute("SELECT set_config('psops.audit_context', %s, true)", [_serialized()])
        return execute(sql, params, many, context)
    if params is None:
        # No parameters: psycopg sends the text as it is (a "%" stays a "%").
        literal = _serialized().replace("'", "''")
        prefixed = _PREFIX.replace("%s", f"'{literal}'") + text
    elif isinstance(params, dict):
        prefixed = _PREFIX.replace("%s", "%(psops_audit_context)s") + text
        params = {**params, "psops_audit_context": _serialized()}
    else:
        prefixed = _PREFIX + text
        params = (_serialized(), *params)
    result = execute(prefixed, params, many, context)
    # psycopg keeps the first statement's result current: move to the write's own
    # (its RETURNING rows and row count).
    while result is not None and cursor.nextset():
        pass
    return result


def is_prefixed_write(sql: str) -> bool:
    """A write statement as sent, with its context before it (query logs, benchmarks)."""
    return sql.startswith(_PREFIX[:40])


def without_context(sql: str) -> str:
    """The statement itself, without the context a write carries before it."""
    if not is_prefixed_write(sql):
        return sql
    return sql.split("; ", 1)[1]


def _on_connection_created(sender, connection, **kwargs):  # type: ignore[no-untyped-def]
    if _inject not in connection.execute_wrappers:
        connection.execute_wrappers.append(_inject)


def connect() -> None:
    from celery.signals import task_postrun, task_prerun
    from django.db import connections

    connection_created.connect(_on_connection_created, dispatch_uid="psops.audit")
    # Connections opened before this app was ready (none in practice) get it too.
    for connection in connections.all(initialized_only=True):
        _on_connection_created(None, connection)
    task_prerun.connect(_task_started, dispatch_uid="psops.audit.prerun", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="psops.audit.postrun", weak=False)


_task_tokens: dict[str, Any] = {}


def _task_started(task_id: str, task, **kwargs):  # type: ignore[no-untyped-def]
    context = {"kind": "job", "label": f"task {task.name}", "origin": f"task {task.name} {task_id}"}
    _task_tokens[task_id] = _current.set(lambda: context)


def _task_finished(task_id: str, **kwargs):  # type: ignore[no-untyped-def]
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)


# --- Requests ----------------------------------------------------------------------------


def audit_actor_set(
    request: HttpRequest, *, kind: str, label: str, user_id: int | None, token_id: int | None
) -> None:
    """Attribute this request's writes to someone other than its signed-in user (an API
    token, which acts as its sales user)."""
    request.audit_actor = {  # type: ignore[attr-defined]
        "kind": kind,
        "label": label,
        "user": user_id,
        "token": token_id,
    }


def request_context(request: HttpRequest) -> Context:
    from psops.accounts.throttling import client_ip

    values: Context = {
        "ip": client_ip(request),
        "ua": request.META.get("HTTP_USER_AGENT", "")[:300],
        "origin": f"{request.method} {request.path}"[:300],
    }
    actor = getattr(request, "audit_actor", None)
    user = getattr(request, "user", None)
    if actor is not None:
        values.update(actor)
    elif user is not None and user.is_authenticated:
        values.update(kind="user", user=user.pk, label=user.email)
    else:
        values.update(kind="anonymous", label="signed-out visitor")
    return values


class AuditContextMiddleware:
    """After authentication: the request's writes carry who made them and from where."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(lambda: request_context(request)):
            return self.get_response(request)
