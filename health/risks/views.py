"""/risks/: what the risk scans found, filtered, and acknowledged with a note."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from health.models import Risk
from health.risks.forms import AcknowledgeForm
from health.risks.selectors import risk_get, risk_list
from health.risks.services import risk_acknowledge
from psops.accounts.permissions import SERVICES_ROLES, role_required
from psops.ui.htmx import HtmxHttpRequest, render_fragment, render_page

PER_PAGE = 25


def _filters(request: HtmxHttpRequest) -> dict:
    kind = request.GET.get("kind", "")
    severity = request.GET.get("severity", "")
    status = request.GET.get("status", "")
    return {
        "kind": kind if kind in Risk.Kind.values else "",
        "severity": severity if severity in Risk.Severity.values else "",
        "status": status if status in Risk.Status.values else "",
    }


@require_http_methods(["GET"])
@role_required(*SERVICES_ROLES)
def risk_list_page(request: HtmxHttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = Paginator(risk_list(user=request.user, **filters), PER_PAGE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    context = {
        "page": page,
        "risks": page.object_list,
        "filters": filters,
        "filter_query": f"{encoded}&" if encoded else "",
        "kinds": Risk.Kind.choices,
        "severities": Risk.Severity.choices,
        "statuses": Risk.Status.choices,
        "can_acknowledge": True,
    }
    return render_page(request, "health/risks/list.html", context, partial="risk-results")


@require_http_methods(["POST"])
@role_required(*SERVICES_ROLES)
def risk_acknowledge_view(request: HtmxHttpRequest, risk_id: int) -> HttpResponse:
    risk = risk_get(user=request.user, risk_id=risk_id)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            risk = risk_acknowledge(risk=risk, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            # The row shows one message slot, under the note: a refusal goes there too.
            form.add_error("note", error.messages)
    if request.htmx:
        return render_fragment(
            request,
            "health/risks/_rows.html#risk-row",
            {"risk": risk, "can_acknowledge": True, "form_errors": form.errors.get("note")},
            invalid=bool(form.errors),
        )
    # Without JavaScript: back to the list, saying what happened.
    if not form.errors:
        messages.success(request, f"Risk acknowledged: {risk.title}.")
    else:
        messages.error(request, " ".join(form.errors.get("note", [])))
    return redirect("risks:risk_list")
