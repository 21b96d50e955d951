"""/risks/: what the risk scans found, filtered, and acknowledged with a note."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from health.models import Risk
from health.risks.selectors import risk_get, risk_list
from health.risks.services import risk_acknowledge
from psops.accounts.models import User
from psops.accounts.permissions import SERVICES_ROLES, role_required

PER_PAGE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User  # every view here requires a signed-in user


class AcknowledgeForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


def _filters(request) -> dict:
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
@vary_on_headers("HX-Request")
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
    template = "health/risk_list.html"
    if request.htmx and request.htmx.target == "risk-results":
        template += "#risk-results"
    return render(request, template, context)


@require_http_methods(["POST"])
@role_required(*SERVICES_ROLES)
def risk_acknowledge_view(request: HtmxHttpRequest, risk_id: int) -> HttpResponse:
    risk = risk_get(user=request.user, risk_id=risk_id)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            risk = risk_acknowledge(risk=risk, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error("note", error.messages)
    status = 400 if form.errors else 200
    if request.htmx:
        return render(
            request,
            "health/_risk_rows.html#risk-row",
            {"risk": risk, "can_acknowledge": True, "form_errors": form.errors.get("note")},
            status=status,
        )
    # Without JavaScript: back to the list, saying what happened.
    if status == 200:
        messages.success(request, f"Risk acknowledged: {risk.title}.")
    else:
        messages.error(request, " ".join(form.errors.get("note", [])))
    return redirect("risks:risk_list")
