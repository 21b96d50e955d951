"""/notifications/: the signed-in person's own notices, newest first, marked read one by one
or all at once."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event
from django_htmx.middleware import HtmxDetails

from psops.accounts.models import Notification, User
from psops.accounts.permissions import ALL_ROLES, role_required
from psops.notifications import notifications_mark_read

PER_PAGE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User  # every view here requires a signed-in user


@require_http_methods(["GET"])
@role_required(*ALL_ROLES)
@vary_on_headers("HX-Request")
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient=request.user).order_by(
        "-created_at", "-id"
    )
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    template = "accounts/notification_list.html"
    if request.htmx and request.htmx.target == "notification-results":
        template += "#notification-results"
    return render(request, template, {"page": page, "notifications": page.object_list})


@require_http_methods(["POST"])
@role_required(*ALL_ROLES)
def notification_mark_read(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    # Narrowed to the user's own: someone else's notification is simply not found.
    notification = get_object_or_404(
        Notification.objects.filter(recipient=request.user), pk=notification_id
    )
    notifications_mark_read(user=request.user, notification_ids=[notification.pk])
    notification.refresh_from_db(fields=["read_at"])
    if request.htmx:
        response = render(
            request,
            "accounts/notification_list.html#notification-item",
            # The bell in the top bar is refreshed out of band with the new count.
            {"notification": notification, "oob": True},
        )
        return trigger_client_event(response, "notifications-changed")
    return redirect("accounts:notification_list")


@require_http_methods(["POST"])
@role_required(*ALL_ROLES)
def notification_mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    if request.htmx:
        return notification_list_after_change(request)
    return redirect("accounts:notification_list")


def notification_list_after_change(request: HtmxHttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient=request.user).order_by(
        "-created_at", "-id"
    )
    page = Paginator(notifications, PER_PAGE).get_page(1)
    response = render(
        request,
        "accounts/notification_list.html#notification-results",
        {"page": page, "notifications": page.object_list, "oob": True},
    )
    return trigger_client_event(response, "notifications-changed")
