"""KPI drill-downs (the rows behind a tile) for leaders and admins, and the admins' targets."""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from engagements.models import Engagement
from health.kpis.base import Kpi, KpiScope, kpi_value_display, kpi_value_parts
from health.kpis.registry import KPIS, kpi_get
from health.kpis.targets import kpi_status, kpi_targets_get, kpi_targets_save
from psops.accounts.models import Role, User
from psops.accounts.permissions import role_required
from psops.ui.periods import DEFAULT_PERIOD_DAYS

MAX_PERIOD_DAYS = 3650
# The earliest day a KPI can be asked about: far enough back for any real history, and
# far from date.min, where the window (as_of minus up to MAX_PERIOD_DAYS) and the
# week arithmetic would overflow. The same bound as the sales-enablement report.
EARLIEST_AS_OF = date(1900, 1, 1)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User  # every view here requires a signed-in user


class EvidenceQueryForm(forms.Form):
    """The tile's scope and day, as the dashboard links them (all optional)."""

    lead = forms.IntegerField(required=False, min_value=1)
    kind = forms.ChoiceField(required=False, choices=[("", "Both kinds"), *Engagement.Kind.choices])
    period = forms.IntegerField(required=False, min_value=1, max_value=MAX_PERIOD_DAYS)
    as_of = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > self.today:
            raise forms.ValidationError("The day must not be in the future.")
        if as_of and as_of < EARLIEST_AS_OF:
            raise forms.ValidationError(
                f"The day must be between {EARLIEST_AS_OF} and today ({self.today})."
            )
        return as_of or self.today


def _evidence_context(*, kpi: Kpi, as_of, scope: KpiScope) -> dict:
    value = kpi.compute(as_of, scope)
    target = kpi_targets_get().get(kpi.key)
    lead = User.objects.filter(pk=scope.lead_id).first() if scope.lead_id else None
    start, end = scope.window(as_of)
    return {
        "value": value,
        "display": kpi.display(value),
        "target_display": kpi_value_display(unit=kpi.unit, value=target),
        "status": kpi_status(value=value, target=target, higher_is_better=kpi.higher_is_better),
        "has_target": target is not None,
        "evidence": kpi.evidence(as_of, scope),
        "as_of": as_of,
        "scope": scope,
        "window_start": start,
        "window_end": end,
        "lead": lead,
        "kind_label": Engagement.Kind(scope.kind).label if scope.kind else "",
    }


@require_http_methods(["GET"])
@role_required(Role.LEADER, Role.ADMIN)
@vary_on_headers("HX-Request")
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
            kpi=kpi, as_of=data["as_of"], scope=kpi.effective_scope(requested)
        )
    else:
        context["query_errors"] = [
            f"{name}: {message}" for name, errors in form.errors.items() for message in errors
        ]
    template = "health/kpi_evidence.html"
    if request.htmx and not request.htmx.boosted:
        template += "#evidence"
    return render(request, template, context, status=400 if form.errors else 200)


# --- Targets ------------------------------------------------------------------------------

UNIT_BOUNDS = {
    "%": (Decimal(0), Decimal(100)),
    "of 5": (Decimal(1), Decimal(5)),
}


class KpiTargetsForm(forms.Form):
    """One optional number per KPI; blank means no target."""

    def __init__(self, *args, targets: dict[str, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        for kpi in KPIS:
            low, high = UNIT_BOUNDS.get(kpi.unit, (Decimal(0), None))
            direction = "Higher" if kpi.higher_is_better else "Lower"
            target = targets.get(kpi.key)
            # 80, not 80.00: the form shows what an admin would type.
            typed = kpi_value_parts(unit="count", value=target)[0] if target is not None else None
            self.fields[kpi.key] = forms.DecimalField(
                # "Surprises per handoff (per handoff)" would say it twice.
                label=kpi.name if kpi.unit in kpi.name.lower() else f"{kpi.name} ({kpi.unit})",
                required=False,
                max_digits=12,
                decimal_places=2,
                min_value=low,
                max_value=high,
                initial=typed,
                help_text=escape(
                    f"{direction} is better. {kpi.definition} Leave blank for no target."
                ),
            )


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
    return render(
        request,
        "health/kpi_targets.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
