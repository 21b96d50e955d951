"""/settings/audit/: who changed what, when and from where; read-only for everyone.

Admins read every entry; PS leaders read business objects' entries, not people
administration's (``psops.audit.triggers.PEOPLE_TABLES``). Nobody can change or
delete an entry here, nor anywhere else in the application.
"""

import csv
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods
from django_tenants.utils import schema_context

from psops.accounts.models import Role
from psops.accounts.permissions import role_required
from psops.audit import selectors
from psops.audit.forms import AuditFilterForm
from psops.audit.models import AuditEntry
from psops.ui.htmx import HtmxHttpRequest, render_page
from psops.ui.spreadsheets import csv_safe

FILTERS = ("person", "type", "object", "since", "until")
EXPORT_CHUNK = 1000


def _filter_query_string(request: HtmxHttpRequest) -> str:
    return urlencode([(k, v) for k in FILTERS for v in request.GET.getlist(k) if v])


@require_http_methods(["GET"])
@role_required(Role.ADMIN, Role.LEADER)
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, user=request.user)
    invalid = form.is_bound and not form.is_valid()
    rows: list[selectors.AuditRow] = []
    following = None
    query = selectors.AuditQuery() if invalid else form.query()
    if not invalid:
        before = form.cleaned_data.get("before") if form.is_bound else None
        rows, following = selectors.audit_page(user=request.user, query=query, before=before)
    filters = _filter_query_string(request)
    return render_page(
        request,
        "audit/audit_list.html",
        {
            "form": form,
            "rows": rows,
            "filters": filters,
            "filtered": bool(filters),
            "following": following,
            "is_first_page": not request.GET.get("before"),
            "object_type": selectors.object_type_label(query.table) if query.table else "",
        },
        partial="audit-results",
        invalid=invalid,
    )


CSV_HEADER = [
    "Entry",
    "When (UTC)",
    "Who",
    "Acting as",
    "API token id",
    "Action",
    "Object type",
    "Object id",
    "Object",
    "Changes",
    "Changed, value not recorded",
    "IP address",
    "User agent",
    "Origin",
]


def _csv_lines(request: HtmxHttpRequest, query: selectors.AuditQuery) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(CSV_HEADER)
    # The server reads this after the view has returned: the rows come from the
    # request's own organization whatever the connection was switched to meanwhile.
    with schema_context(request.tenant.schema_name):  # type: ignore[attr-defined]
        entries = selectors.audit_entries_for_export(user=request.user, query=query)
        chunk: list = []
        for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(entry)
            if len(chunk) == EXPORT_CHUNK:
                yield from _csv_rows(writer, chunk)
                chunk = []
        yield from _csv_rows(writer, chunk)


def _csv_rows(writer: Any, entries: list[AuditEntry]) -> Iterator[str]:
    for row in selectors.audit_rows(entries):
        entry = row.entry
        changes = {change.field: [change.before, change.after] for change in row.changes}
        cells = [
            entry.id,
            entry.at.astimezone(UTC).isoformat(),
            row.actor,
            entry.get_actor_kind_display(),
            entry.token_id or "",
            entry.get_action_display(),
            row.object_type,
            entry.object_id,
            entry.object_label,
            json.dumps(changes, ensure_ascii=False) if changes else "",
            ", ".join(row.hidden),
            entry.ip or "",
            entry.user_agent,
            entry.origin,
        ]
        yield writer.writerow([csv_safe(cell) for cell in cells])


@require_http_methods(["GET"])
@role_required(Role.ADMIN, Role.LEADER)
def audit_export(request: HtmxHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered entries as CSV, streamed: a million rows never sit in memory."""
    form = AuditFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        return render_page(
            request,
            "audit/audit_list.html",
            {"form": form, "rows": [], "filters": _filter_query_string(request)},
            invalid=True,
        )
    day = timezone.localdate().isoformat()
    response = StreamingHttpResponse(
        _csv_lines(request, form.query()), content_type="text/csv; charset=utf-8"
    )
    slug = request.tenant.slug  # type: ignore[attr-defined]  # django-tenants sets it
    response["Content-Disposition"] = f'attachment; filename="{slug}-audit-trail-{day}.csv"'
    return response
