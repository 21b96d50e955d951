"""Each role's home page at the tenant root: the leader dashboard, the consultant's day,
the sales rep's handoffs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from engagements import services as engagement_services
from engagements.forms import QuickPainPointForm
from engagements.models import Engagement
from engagements.selectors import engagements_visible_to, lead_choices
from handoffs.selectors import review_queue
from health.checkins.weekly import checkin_this_week
from health.home import selectors as dashboards
from health.kpis.base import KpiScope
from health.kpis.tiles import kpi_tiles
from health.pulse.selectors import pulse_dashboard_summary
from health.risks.selectors import open_risks_for_dashboard
from psops.accounts.models import Role, User
from psops.accounts.permissions import ALL_ROLES, SERVICES_ROLES, role_required, user_has_role
from psops.ui.charts import Bar, horizontal_bars_svg

QUEUE_LIMIT = 8


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User  # every view here requires a signed-in user


def _filters(request) -> dashboards.DashboardFilters:
    try:
        lead_id = int(request.GET.get("lead") or 0) or None
    except ValueError:
        lead_id = None
    kind = request.GET.get("kind", "")
    try:
        period = int(request.GET.get("period") or 90)
    except ValueError:
        period = 90
    valid_periods = {days for days, _ in dashboards.PERIOD_CHOICES}
    return dashboards.DashboardFilters(
        lead_id=lead_id,
        kind=kind if kind in Engagement.Kind.values else "",
        period_days=period if period in valid_periods else 90,
    )


@require_http_methods(["GET"])
@role_required(*ALL_ROLES)
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    if user_has_role(request.user, Role.LEADER, Role.ADMIN):
        return leader_dashboard(request)
    if user_has_role(request.user, Role.SALES):
        return sales_home(request)
    return consultant_home(request)


def leader_dashboard(request: HtmxHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filters = _filters(request)
    scope = KpiScope(lead_id=filters.lead_id, kind=filters.kind, period_days=filters.period_days)
    by_kind = dashboards.engagements_by_kind_and_status(filters=filters)
    for section in by_kind:
        section["chart"] = horizontal_bars_svg(
            title=f"{section['label']} by status",
            bars=[Bar(label, n) for label, n in section["statuses"] if n],
        )
    overdue_count, overdue = dashboards.overdue_followups(filters=filters, today=today)
    queue = review_queue(today=today)
    risk_count, risks = open_risks_for_dashboard()
    context = {
        "risks": risks,
        # Leaders acknowledge where they see the risk (the row swaps in place).
        "can_acknowledge": True,
        "risk_count": risk_count,
        "filters": filters,
        "tiles": kpi_tiles(as_of=today, scope=scope, today=today),
        "engagements_by_kind": by_kind,
        "overdue_count": overdue_count,
        "overdue": overdue,
        "queue": queue[:QUEUE_LIMIT],
        "queue_count": len(queue),
        "queue_overdue": sum(1 for entry in queue if entry.overdue),
        "pulse": pulse_dashboard_summary(today=today),
        "leads": lead_choices(),
        "kinds": Engagement.Kind.choices,
        "periods": dashboards.PERIOD_CHOICES,
        "today": today,
    }
    template = "health/leader_dashboard.html"
    if request.htmx and request.htmx.target == "dashboard-body":
        template += "#dashboard-body"
    return render(request, template, context)


def consultant_home(request: HtmxHttpRequest, *, quick_form=None, status=200) -> HttpResponse:
    today = timezone.localdate()
    engagements = dashboards.my_engagements(user=request.user)
    context = {
        "engagements": engagements,
        "followups": dashboards.my_followups_due(user=request.user, today=today),
        "checkin": checkin_this_week(user=request.user, today=today),
        "quick_form": quick_form or QuickPainPointForm(),
        "quick_engagements": [e for e in engagements if e.status != Engagement.Status.CLOSED],
        "today": today,
    }
    return render(request, "health/consultant_home.html", context, status=status)


def sales_home(request: HtmxHttpRequest) -> HttpResponse:
    packets, counts = dashboards.my_handoffs(user=request.user)
    return render(
        request,
        "health/sales_home.html",
        {
            "packets": packets,
            "counts": counts,
            "checkin": checkin_this_week(user=request.user, today=timezone.localdate()),
        },
    )


@require_http_methods(["POST"])
@role_required(*SERVICES_ROLES)
def home_quick_log(request: HtmxHttpRequest) -> HttpResponse:
    """The consultant home's quick pain-point log: pick the engagement, describe, done."""
    form = QuickPainPointForm(request.POST)
    engagement = None
    engagement_id = request.POST.get("engagement")
    if engagement_id and engagement_id.isdigit():
        engagement = engagements_visible_to(request.user).filter(pk=engagement_id).first()
    if engagement is None:
        form.add_error(None, "Choose the engagement this pain point belongs to.")
    logged = None
    if form.is_valid() and engagement is not None:
        try:
            logged = engagement_services.pain_point_log(
                engagement=engagement, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
    if request.htmx:
        return render(
            request,
            "health/consultant_home.html#quick-log",
            {
                "quick_form": QuickPainPointForm() if logged else form,
                "quick_engagements": dashboards.my_engagements(user=request.user),
                "logged": logged,
                "selected_engagement": engagement.pk if engagement and not logged else None,
            },
            status=200 if logged or not form.errors else 400,
        )
    if logged:
        messages.success(request, f"Pain point logged on {engagement.name}: {logged.title}.")
        return redirect("home")
    return consultant_home(request, quick_form=form, status=400)
