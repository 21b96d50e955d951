"""Each role's home page at the tenant root: the leader dashboard, the consultant's day,
the sales rep's handoffs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from engagements import services as engagement_services
from engagements.forms import QuickPainPointForm
from engagements.models import Engagement
from engagements.selectors import engagements_visible_to, lead_choices
from handoffs.selectors import review_queue, user_reads_packets
from health.checkins.weekly import checkin_this_week
from health.home import selectors as dashboards
from health.kpis.base import KpiScope
from health.kpis.cache import kpi_tiles_html
from health.kpis.tiles import kpi_tiles
from health.pulse.selectors import pulse_dashboard_summary
from health.risks.selectors import open_risks_for_dashboard
from psops.accounts.models import Role
from psops.accounts.permissions import ALL_ROLES, SERVICES_ROLES, role_required, user_has_role
from psops.submissions.guard import submitted_once
from psops.ui.charts import Bar, horizontal_bars_svg
from psops.ui.forms import form_errors_from, int_or_none
from psops.ui.htmx import HtmxHttpRequest, render_fragment, render_page
from psops.ui.periods import DEFAULT_PERIOD_DAYS

QUEUE_LIMIT = 8
MY_ENGAGEMENTS_PER_PAGE = 10


def _scope(request: HtmxHttpRequest) -> KpiScope:
    """The dashboard's filters; anything unknown falls back to the whole organization."""
    kind = request.GET.get("kind", "")
    period = int_or_none(request.GET.get("period"))
    valid_periods = {days for days, _ in dashboards.PERIOD_CHOICES}
    return KpiScope(
        lead_id=int_or_none(request.GET.get("lead")) or None,
        kind=kind if kind in Engagement.Kind.values else "",
        period_days=period if period in valid_periods else DEFAULT_PERIOD_DAYS,
    )


@require_http_methods(["GET"])
@role_required(*ALL_ROLES)
def home(request: HtmxHttpRequest) -> HttpResponse:
    if user_has_role(request.user, Role.LEADER, Role.ADMIN):
        return leader_dashboard(request)
    if user_has_role(request.user, Role.SALES):
        return sales_home(request)
    return consultant_home(request)


def leader_dashboard(request: HtmxHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    scope = _scope(request)
    by_kind = dashboards.engagements_by_kind_and_status(scope=scope)
    for section in by_kind:
        section["chart"] = horizontal_bars_svg(
            title=f"{section['label']} by status",
            bars=[Bar(label, n) for label, n in section["statuses"] if n],
        )
    overdue_count, overdue = dashboards.overdue_followups(scope=scope, today=today)
    queue = review_queue(today=today, kind=scope.kind, limit=QUEUE_LIMIT)
    risks = open_risks_for_dashboard(lead_id=scope.lead_id, kind=scope.kind)
    context = {
        "risks": risks,
        # Leaders acknowledge where they see the risk (the row swaps in place).
        "can_acknowledge": True,
        "filters": scope,
        "tiles_html": kpi_tiles_html(
            as_of=today,
            scope=scope,
            today=today,
            render=lambda: render_to_string(
                "health/kpis/_tiles.html",
                {"tiles": kpi_tiles(as_of=today, scope=scope, today=today)},
            ),
        ),
        "engagements_by_kind": by_kind,
        "overdue_count": overdue_count,
        "overdue": overdue,
        # Admins see how long the queue is, not the deals in it (they read no packet).
        "queue": queue.entries if user_reads_packets(request.user) else [],
        "queue_count": queue.waiting,
        "queue_overdue": queue.overdue,
        "pulse": pulse_dashboard_summary(today=today),
        "leads": lead_choices(),
        "kinds": Engagement.Kind.choices,
        "periods": dashboards.PERIOD_CHOICES,
        "today": today,
    }
    return render_page(
        request, "health/home/leader_dashboard.html", context, partial="dashboard-body"
    )


def consultant_home(
    request: HtmxHttpRequest, *, quick_form: BaseForm | None = None, invalid: bool = False
) -> HttpResponse:
    today = timezone.localdate()
    engagements = Paginator(
        dashboards.with_open_followups(dashboards.my_engagements(user=request.user)),
        MY_ENGAGEMENTS_PER_PAGE,
    ).get_page(request.GET.get("engagements_page"))
    context = {
        "engagements": engagements,
        "followups": dashboards.my_followups_due(user=request.user, today=today),
        "checkin": checkin_this_week(user=request.user, today=today),
        "quick_form": quick_form or QuickPainPointForm(),
        "quick_engagements": dashboards.quick_log_choices(user=request.user),
        "selected_engagement": dashboards.last_touched_engagement(user=request.user),
        "today": today,
    }
    return render_page(
        request,
        "health/home/consultant_home.html",
        context,
        partial="my-engagements",
        target="my-engagements",
        invalid=invalid,
    )


def sales_home(request: HtmxHttpRequest) -> HttpResponse:
    packets, counts = dashboards.my_handoffs(user=request.user)
    return render_page(
        request,
        "health/home/sales_home.html",
        {
            "packets": packets,
            "counts": counts,
            "checkin": checkin_this_week(user=request.user, today=timezone.localdate()),
        },
    )


@require_http_methods(["POST"])
@role_required(*SERVICES_ROLES)
@submitted_once
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
            form_errors_from(form, error)
    if request.htmx:
        return render_fragment(
            request,
            "health/home/consultant_home.html#quick-log",
            {
                "quick_form": QuickPainPointForm() if logged else form,
                "quick_engagements": dashboards.quick_log_choices(user=request.user),
                "logged": logged,
                # The next pain point is most likely on the same engagement.
                "selected_engagement": engagement.pk if engagement else None,
            },
            invalid=bool(form.errors),
        )
    if logged:
        messages.success(request, f"Pain point logged on {engagement.name}: {logged.title}.")
        return redirect("home")
    return consultant_home(request, quick_form=form, invalid=True)
