"""KPI drill-downs (the rows behind a tile) for leaders and admins, and the admins' targets."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from engagements.models import Engagement
from health.kpis.base import EVIDENCE_PAGE_SIZE, Kpi, KpiScope, kpi_value_display
from health.kpis.cache import kpi_values
from health.kpis.forms import EvidenceQueryForm, KpiTargetsForm
from health.kpis.registry import kpi_get
from health.kpis.targets import kpi_status, kpi_targets_get, kpi_targets_save
from psops.accounts.models import Role, User
from psops.accounts.permissions import role_required
from psops.ui.htmx import HtmxHttpRequest, render_page
from psops.ui.periods import DEFAULT_PERIOD_DAYS


def _evidence_context(*, kpi: Kpi, as_of, scope: KpiScope, page: int = 1) -> dict:
    # The tile's own value, from the cache when no write came since it was computed.
    value = kpi_values(
        kpis=[kpi], as_of=as_of, scope=scope, compute=lambda kpi: kpi.compute(as_of, scope)
    )[kpi.key]
    target = kpi_targets_get().get(kpi.key)
    lead = User.objects.filter(pk=scope.lead_id).first() if scope.lead_id else None
    start, end = scope.window(as_of)
    return {
        "value": value,
        "display": kpi.display(value),
        "target_display": kpi_value_display(unit=kpi.unit, value=target),
        "status": kpi_status(value=value, target=target, higher_is_better=kpi.higher_is_better),
        "has_target": target is not None,
        "evidence": kpi.evidence(as_of, scope, page=page),
        "page_size": EVIDENCE_PAGE_SIZE,
        "as_of": as_of,
        "scope": scope,
        "window_start": start,
        "window_end": end,
        "lead": lead,
        "kind_label": Engagement.Kind(scope.kind).label if scope.kind else "",
    }


@require_http_methods(["GET"])
@role_required(Role.LEADER, Role.ADMIN)
def kpi_evidence(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """How a KPI's value came about: the definition, the counts and the rows behind them."""
    try:
        kpi = kpi_get(key)
    except KeyError:
        raise Http404("There is no such KPI.") from None
    form = EvidenceQueryForm(request.GET, today=timezone.localdate())
    context: dict = {"kpi": kpi, "query_errors": []}
    if form.is_valid():
        data = form.cleaned_data
        requested = KpiScope(
            lead_id=data["lead"],
            kind=data["kind"],
            period_days=data["period"] or DEFAULT_PERIOD_DAYS,
        )
        context |= _evidence_context(
            kpi=kpi,
            as_of=data["as_of"],
            scope=kpi.effective_scope(requested),
            page=data["page"] or 1,
        )
        query = request.GET.copy()
        query.pop("page", None)
        context["page_query"] = f"{query.urlencode()}&" if query else ""
    else:
        context["query_errors"] = [
            f"{name}: {message}" for name, errors in form.errors.items() for message in errors
        ]
    # A tile's drill-down swaps the evidence alone into the dashboard's panel.
    return render_page(
        request,
        "health/kpis/evidence.html",
        context,
        partial="evidence",
        target="kpi-evidence",
        invalid=bool(form.errors),
    )


# --- Targets ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def kpi_targets(request: HttpRequest) -> HttpResponse:
    """Admins set a target per KPI; every tile compares its value with it."""
    form = KpiTargetsForm(request.POST or None, targets=kpi_targets_get())
    if request.method == "POST" and form.is_valid():
        changed = kpi_targets_save(targets=form.cleaned_data, by=request.user)
        if changed:
            messages.success(request, f"KPI targets saved ({len(changed)} changed).")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("kpis:kpi_targets")
    return render_page(
        request, "health/kpis/targets.html", {"form": form}, invalid=bool(form.errors)
    )
