"""The sales-enablement report for PS leaders: a page with a chart, and its CSV export."""

import csv
from dataclasses import dataclass
from datetime import date

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods

from handoffs import reports, selectors
from psops.accounts.models import Role
from psops.accounts.permissions import role_required
from psops.ui.htmx import HtmxHttpRequest, render_page
from psops.ui.spreadsheets import csv_safe

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


@dataclass(frozen=True)
class PeriodChoice:
    period: reports.Period
    errors: list[str]


def period_from_query(*, start_text: str, end_text: str, today: date) -> PeriodChoice:
    """The period asked for with ``from`` and ``to`` (ISO dates), or the default one.

    Either date may be left out: without ``to`` the period ends today, without
    ``from`` it is the ``DEFAULT_PERIOD_DAYS`` up to ``to``. A date that cannot be read,
    or ``from`` after ``to``, gives a message and the default period. (A plain function
    rather than a Django form: ``from`` is a Python keyword and the messages quote what
    was typed.)
    """
    default = reports.default_period(today=today)
    errors = []
    dates: dict[str, date | None] = {}
    for label, text in (("From", start_text.strip()), ("To", end_text.strip())):
        dates[label] = None
        if not text:
            continue
        try:
            value = date.fromisoformat(text)
        except ValueError:
            errors.append(f"“{label}” must be a date like 2025-03-31, not “{text[:40]}”.")
            continue
        if not EARLIEST <= value <= LATEST:
            errors.append(f"“{label}” must be between {EARLIEST} and {LATEST}.")
            continue
        dates[label] = value
    if errors:
        return PeriodChoice(period=default, errors=errors)
    start, end = dates["From"], dates["To"]
    if start is None and end is None:
        return PeriodChoice(period=default, errors=[])
    end = end or today
    start = start or end - (default.end - default.start)
    if start > end:
        return PeriodChoice(period=default, errors=[f"“From” ({start}) is after “To” ({end})."])
    return PeriodChoice(period=reports.Period(start=start, end=end), errors=[])


# --- Chart -------------------------------------------------------------------------------

CHART_WIDTH = 640
LABEL_WIDTH = 180  # rep names end here, right-aligned
BAR_LEFT = LABEL_WIDTH + 10
BAR_SPACE = CHART_WIDTH - BAR_LEFT - 50  # room for the value after the longest bar
ROW_HEIGHT = 28
BAR_HEIGHT = 18
LABEL_CHARACTERS = 26


def _surprises(count: int) -> str:
    return f"{count} surprise{'s' if count != 1 else ''}"


def surprises_chart(*, rows: list[reports.RepRow], period: reports.Period) -> SafeString:
    """Surprises per sales rep as horizontal bars: inline SVG, no JavaScript.

    Screen readers get the whole chart as one image whose label lists every rep's
    count (the table below has the same numbers); each bar has a ``<title>`` tooltip.
    Every name goes through ``format_html``, so a rep called ``<script>`` is just text.
    """
    longest = max((row.surprises for row in rows), default=0) or 1
    height = ROW_HEIGHT * len(rows) + 4
    summary = f"Surprises per sales rep, {period.start} to {period.end}: " + "; ".join(
        f"{row.name}: {row.surprises}" for row in rows
    )
    bars = []
    for index, row in enumerate(rows):
        top = index * ROW_HEIGHT + 4
        width = round(BAR_SPACE * row.surprises / longest, 1)
        label = row.name
        if len(label) > LABEL_CHARACTERS:
            label = label[: LABEL_CHARACTERS - 1] + "…"
        bars.append(
            (
                f"{row.name}: {_surprises(row.surprises)} in {row.packets_reviewed} "
                f"packet{'s' if row.packets_reviewed != 1 else ''} reviewed",
                LABEL_WIDTH,
                top + BAR_HEIGHT - 4,
                label,
                BAR_LEFT,
                top,
                width,
                BAR_HEIGHT,
                BAR_LEFT + width + 6,
                top + BAR_HEIGHT - 4,
                row.surprises,
            )
        )
    body = format_html_join(
        "",
        '<g class="chart-row"><title>{}</title>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" rx="3"></rect>'
        '<text class="chart-value" x="{}" y="{}">{}</text></g>',
        bars,
    )
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'role="img" aria-label="{}"><title>{}</title>{}</svg>',
        CHART_WIDTH,
        height,
        summary,
        summary,
        body,
    )


# --- CSV ---------------------------------------------------------------------------------

CSV_HEADER = [
    "Sales rep",
    "Email",
    "Packets reviewed",
    "Surprises",
    "Surprises per packet",
    "First reviews in period",
    "Accepted in first round",
    "First-pass acceptance %",
]


def _blank_if_none(value: object) -> object:
    return "" if value is None else value


def report_csv(*, report: reports.EnablementReport, organization_slug: str) -> HttpResponse:
    period = report.period
    filename = f"{organization_slug}-sales-enablement-{period.start}-to-{period.end}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in report.reps:
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    row.name,
                    row.email,
                    row.packets_reviewed,
                    row.surprises,
                    _blank_if_none(row.surprises_per_packet),
                    row.first_reviews,
                    row.accepted_first_time,
                    _blank_if_none(row.first_pass_percent),
                )
            ]
        )
    return response


# --- The page ----------------------------------------------------------------------------


@require_http_methods(["GET"])
@role_required(Role.LEADER, Role.ADMIN)
def report(request: HtmxHttpRequest) -> HttpResponse:
    """Surprises per sales rep and per item kind, first-pass acceptance, review turnaround."""
    choice = period_from_query(
        start_text=request.GET.get("from", ""),
        end_text=request.GET.get("to", ""),
        today=timezone.localdate(),
    )
    wants_csv = request.GET.get("format") == "csv"
    if wants_csv and choice.errors:
        # An export of another period than the one asked for would be easy to miss.
        return HttpResponse(
            " ".join(choice.errors), status=400, content_type="text/plain; charset=utf-8"
        )
    enablement = reports.enablement_report(period=choice.period)
    if wants_csv:
        return report_csv(report=enablement, organization_slug=request.tenant.slug)  # type: ignore[attr-defined]  # django-tenants'
    period_query = urlencode({"from": choice.period.start, "to": choice.period.end})
    context = {
        "report": enablement,
        "reads_packets": selectors.user_reads_packets(request.user),
        "period": choice.period,
        "period_errors": choice.errors,
        "default_days": reports.DEFAULT_PERIOD_DAYS,
        "csv_url": f"{reverse('handoffs:report')}?{period_query}&format=csv",
        "chart": surprises_chart(rows=enablement.reps, period=choice.period)
        if enablement.totals.surprises
        else "",
    }
    return render_page(request, "handoffs/report.html", context, partial="report-results")
