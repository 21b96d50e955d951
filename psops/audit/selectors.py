"""What the audit page reads: entries a role may see, newest first, a page at a time.

Pages are cut by id (``before``), not by offset or count: with a million entries a
``COUNT(*)`` or a deep ``OFFSET`` would read them all, an id range reads one page.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import dateparse, formats, timezone

from psops.accounts.models import Role, User
from psops.audit.links import object_url
from psops.audit.models import AuditEntry
from psops.audit.triggers import PEOPLE_TABLES, audited_models

PAGE_SIZE = 50


def audit_readable_tables(user: User) -> dict[str, type[models.Model]]:
    """The tables whose entries ``user`` may read: all for admins, business objects for
    leaders (not people administration), none for anyone else."""
    tables = audited_models()
    if user.role == Role.ADMIN:
        return tables
    if user.role == Role.LEADER:
        return {t: m for t, m in tables.items() if t not in PEOPLE_TABLES}
    return {}


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    if user.role == Role.ADMIN:
        return AuditEntry.objects.all()
    if user.role == Role.LEADER:
        # Entries of tables gone since (or of a TRUNCATE) stay admin-only too.
        return AuditEntry.objects.filter(table_name__in=list(audit_readable_tables(user)))
    return AuditEntry.objects.none()


@dataclass(frozen=True)
class AuditQuery:
    actor_id: int | None = None
    table: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if self.actor_id is not None:
            entries = entries.filter(actor_id=self.actor_id)
        if self.table and self.object_id:
            # The object's own changes and those of what belongs to it.
            entries = entries.filter(
                Q(table_name=self.table, object_id=self.object_id)
                | Q(parent=f"{self.table}:{self.object_id}")
            )
        elif self.table:
            entries = entries.filter(table_name=self.table)
        zone = timezone.get_current_timezone()
        if self.since is not None:
            entries = entries.filter(at__gte=datetime.combine(self.since, time.min, zone))
        if self.until is not None:
            next_day = self.until + timedelta(days=1)
            entries = entries.filter(at__lt=datetime.combine(next_day, time.min, zone))
        return entries


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class AuditRow:
    entry: AuditEntry
    object_type: str
    object_url: str
    actor: str
    changes: list[Change] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


def audit_page(
    *, user: User, query: AuditQuery, before: int | None = None, size: int = PAGE_SIZE
) -> tuple[list[AuditRow], int | None]:
    """One page of entries newest first, and the id to pass as ``before`` for the next
    (None on the last page). Two queries: the entries, and the people they name."""
    entries = query.apply(audit_entries_visible_to(user))
    if before is not None:
        entries = entries.filter(id__lt=before)
    page = list(entries.order_by("-id")[: size + 1])
    following = page[size - 1].id if len(page) > size else None
    return audit_rows(page[:size]), following


def audit_entries_for_export(*, user: User, query: AuditQuery) -> QuerySet[AuditEntry]:
    return query.apply(audit_entries_visible_to(user)).order_by("-id")


# --- Presenting entries ----------------------------------------------------------------


@cache
def _columns(table: str) -> dict[str, models.Field]:
    model = audited_models().get(table)
    if model is None:
        return {}
    return {str(f.column): f for f in model._meta.concrete_fields}


def object_type_label(table: str) -> str:
    model = audited_models().get(table)
    return str(model._meta.verbose_name).capitalize() if model is not None else table


def _user_columns(table: str) -> set[str]:
    return {
        column for column, f in _columns(table).items() if f.is_relation and f.related_model is User
    }


def people_named(entries: list[AuditEntry]) -> dict[int, str]:
    ids: set[int] = set()
    for entry in entries:
        if entry.actor_id is not None:
            ids.add(entry.actor_id)
        for column in _user_columns(entry.table_name) & entry.changes.keys():
            ids.update(v for v in entry.changes[column] if isinstance(v, int))
        if entry.table_name == "accounts_user" and entry.object_id.isdigit():
            ids.add(int(entry.object_id))
    return {
        pk: (name or email)
        for pk, name, email in User.objects.filter(pk__in=ids).values_list(
            "pk", "full_name", "email"
        )
    }


def display_value(value: Any, f: models.Field | None, people: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if f is not None and f.is_relation:
        if f.related_model is User and isinstance(value, int):
            return people.get(value, f"person #{value} (deleted)")
        return f"#{value}"
    if f is not None and f.choices:
        label = dict(f.flatchoices).get(value)
        if label is not None:
            return str(label)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and f is not None:
        if isinstance(f, models.DateTimeField):
            moment = dateparse.parse_datetime(value)
            if moment is not None:
                return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        elif isinstance(f, models.DateField):
            day = dateparse.parse_date(value)
            if day is not None:
                return formats.date_format(day, "DATE_FORMAT")
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)[:500]
    return str(value)[:500]


def field_label(table: str, column: str) -> str:
    f = _columns(table).get(column)
    return str(f.verbose_name) if f is not None else column


def actor_display(entry: AuditEntry, people: dict[int, str]) -> str:
    if entry.actor_kind == "user" and entry.actor_id is not None:
        return people.get(entry.actor_id, entry.actor_label or f"person #{entry.actor_id}")
    if entry.actor_kind == "token":
        return entry.actor_label
    return entry.actor_label or entry.get_actor_kind_display()


def audit_rows(entries: list[AuditEntry]) -> list[AuditRow]:
    people = people_named(entries)
    rows = []
    for entry in entries:
        columns = _columns(entry.table_name)
        changes = [
            Change(
                field=field_label(entry.table_name, column),
                before=display_value(before, columns.get(column), people),
                after=display_value(after, columns.get(column), people),
            )
            for column, (before, after) in sorted(entry.changes.items())
        ]
        url = ""
        if entry.action != "delete":
            url = object_url(entry.table_name, entry.object_id)
        if not url and entry.parent:
            url = object_url(*entry.parent.split(":", 1))
        rows.append(
            AuditRow(
                entry=entry,
                object_type=object_type_label(entry.table_name),
                object_url=url,
                actor=actor_display(entry, people),
                changes=changes,
                hidden=[field_label(entry.table_name, column) for column in entry.hidden],
            )
        )
    return rows
