"""/settings/email/: admins see which emails could not be delivered, and retry them.

Bodies are never shown: an unsent email may hold someone else's one-time link.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from psops.accounts.models import Role
from psops.accounts.permissions import role_required
from psops.outbox import selectors, services
from psops.outbox.models import MAX_ATTEMPTS, OutboundEmail
from psops.ui.htmx import HtmxHttpRequest, render_page

PER_PAGE = 25


@require_http_methods(["GET"])
@role_required(Role.ADMIN)
def outbox_list(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(selectors.outbox_problems(), PER_PAGE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "outbox/outbox_list.html",
        {"page": page, "counts": selectors.outbox_counts(), "max_attempts": MAX_ATTEMPTS},
        partial="outbox-results",
    )


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def outbox_retry(request: HtmxHttpRequest, email_id: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail.objects.unsent(), pk=email_id)
    services.outbox_retry(email=email)
    messages.success(request, f"Sending “{email.subject}” to {', '.join(email.to)} again.")
    return redirect("outbox:outbox_list")
