from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from engagements import selectors, services
from engagements.forms import ClientForm, StakeholderForm
from engagements.models import Client, Engagement, Stakeholder
from engagements.views.common import EDIT_ROLES, PER_PAGE
from psops.accounts.permissions import role_required
from psops.submissions.guard import submitted_once
from psops.ui.forms import form_errors_from, int_or_none
from psops.ui.htmx import HtmxHttpRequest, render_page


@require_http_methods(["GET"])
@role_required(*EDIT_ROLES)
def client_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.client_list(query=query), PER_PAGE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "engagements/client_list.html",
        {"page": page, "query": query},
        partial="client-results",
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def client_create(request: HtmxHttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = services.client_save(client=form.save(commit=False))
        messages.success(request, f"Client {client.name} added.")
        return redirect("engagements:client_detail", client_id=client.pk)
    return render_page(
        request,
        "engagements/form_page.html",
        {
            "form": form,
            "title": "New client",
            "submit": "Add client",
            "back_url": reverse("engagements:client_list"),
        },
        invalid=bool(form.errors),
    )


@require_http_methods(["GET"])
@role_required(*EDIT_ROLES)
def client_detail(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=client_id)
    context = {"client": client, **selectors.client_sections(client=client)}
    return render_page(request, "engagements/client_detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def client_edit(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=client_id)
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        services.client_save(client=form.save(commit=False))
        messages.success(request, "Client saved.")
        return redirect("engagements:client_detail", client_id=client.pk)
    return render_page(
        request,
        "engagements/form_page.html",
        {
            "form": form,
            "title": f"Edit {client.name}",
            "submit": "Save",
            "back_url": client.get_absolute_url(),
        },
        invalid=bool(form.errors),
    )


def _stakeholder_form_page(
    request: HtmxHttpRequest,
    *,
    client: Client,
    stakeholder: Stakeholder,
    from_engagement: Engagement | None = None,
) -> HttpResponse:
    # Added from an engagement's page: on that engagement unless unticked, and back there.
    initial = {"engagements": [from_engagement.pk]} if from_engagement else None
    form = StakeholderForm(
        request.POST or None, instance=stakeholder, client=client, initial=initial
    )
    back_url = (
        f"{from_engagement.get_absolute_url()}#stakeholders"
        if from_engagement
        else client.get_absolute_url()
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_save(
                stakeholder=form.save(commit=False), engagements=form.cleaned_data["engagements"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Stakeholder {stakeholder.name} saved.")
            return redirect(back_url)
    title = f"Edit {stakeholder.name}" if stakeholder.pk else f"New stakeholder at {client.name}"
    return render_page(
        request,
        "engagements/form_page.html",
        {
            "form": form,
            "title": title,
            "submit": "Save stakeholder",
            "back_url": back_url,
        },
        invalid=bool(form.errors),
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def stakeholder_create(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=client_id)
    engagement_id = int_or_none(request.GET.get("engagement"))
    from_engagement = client.engagements.filter(pk=engagement_id).first() if engagement_id else None
    return _stakeholder_form_page(
        request,
        client=client,
        stakeholder=Stakeholder(client=client),
        from_engagement=from_engagement,
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def stakeholder_edit(request: HtmxHttpRequest, stakeholder_id: int) -> HttpResponse:
    stakeholder = get_object_or_404(Stakeholder.objects.select_related("client"), pk=stakeholder_id)
    return _stakeholder_form_page(request, client=stakeholder.client, stakeholder=stakeholder)
