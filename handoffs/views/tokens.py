"""API tokens for CRM integrations (admins only): list, create, revoke.

A new token's raw value is rendered straight into the response to the create form
and nowhere else (not in a redirect, a message or the session), so it never
reaches the database: only its hash is stored.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from handoffs import services
from handoffs.forms import ApiTokenForm
from handoffs.models import ApiToken
from psops.accounts.models import Role
from psops.accounts.permissions import role_required
from psops.submissions.guard import submitted_once
from psops.tenancy.services import organization_base_url


def _api_urls(request: HttpRequest) -> dict:
    base_url = organization_base_url()
    return {
        "api_base_url": base_url + reverse("api:api-root"),
        "api_schema_url": base_url + reverse("api:openapi-json"),
    }


def _token_list_context(request: HttpRequest, form: ApiTokenForm | None = None) -> dict:
    tokens = ApiToken.objects.select_related("acts_as", "created_by").order_by("-created_at", "-id")
    return {"tokens": tokens, "form": form or ApiTokenForm(), **_api_urls(request)}


@require_http_methods(["GET"])
@role_required(Role.ADMIN)
def api_token_list(request: HttpRequest) -> HttpResponse:
    return render(request, "handoffs/api_token_list.html", _token_list_context(request))


@never_cache
@require_http_methods(["POST"])
@role_required(Role.ADMIN)
@submitted_once
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw_token = services.api_token_create(
                name=form.cleaned_data["name"],
                by=request.user,
                acts_as=form.cleaned_data["acts_as"],
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            return render(
                request,
                "handoffs/api_token_created.html",
                {"token": token, "raw_token": raw_token, **_api_urls(request)},
            )
    return render(
        request, "handoffs/api_token_list.html", _token_list_context(request, form), status=400
    )


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id)
    services.api_token_revoke(token=token)
    messages.success(request, f"Revoked “{token.name}”: requests with it are now refused.")
    return redirect("handoffs:api_token_list")
