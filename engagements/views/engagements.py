from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from engagements import selectors, services
from engagements.forms import EngagementForm, EngagementResetForm, NoteForm, QuickPainPointForm
from engagements.models import Client, Engagement
from engagements.panels import engagement_panels
from engagements.views.common import EDIT_ROLES, PER_PAGE, READ_ROLES
from psops.accounts.permissions import role_required
from psops.submissions.guard import submitted_once
from psops.ui.forms import form_errors_from, int_or_none
from psops.ui.htmx import HtmxHttpRequest, render_fragment, render_page


def _filters(request: HtmxHttpRequest) -> dict:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    return {
        "kind": kind if kind in Engagement.Kind.values else "",
        "status": status if status in Engagement.Status.values else "",
        "lead_id": int_or_none(request.GET.get("lead")),
        "client_id": int_or_none(request.GET.get("client")),
    }


def _filter_query(request: HtmxHttpRequest) -> str:
    """The current filters as a query string prefix for pagination links ("kind=...&")."""
    params = request.GET.copy()
    for page_param in ("ipage", "spage"):
        params.pop(page_param, None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


@require_http_methods(["GET"])
@role_required(*READ_ROLES)
def engagement_list(request: HtmxHttpRequest) -> HttpResponse:
    """Implementation projects and ongoing success work, each in its own paginated section."""
    filters = _filters(request)
    sections = []
    for kind, heading, page_param in (
        (Engagement.Kind.IMPLEMENTATION, "Implementation projects", "ipage"),
        (Engagement.Kind.SUCCESS, "Ongoing success", "spage"),
    ):
        if filters["kind"] and filters["kind"] != kind:
            continue
        engagements = selectors.engagement_list(user=request.user, **{**filters, "kind": kind})
        page = Paginator(engagements, PER_PAGE).get_page(request.GET.get(page_param))
        sections.append({"kind": kind, "heading": heading, "page": page, "param": page_param})
    can_edit = selectors.user_can_edit_engagements(request.user)
    context = {
        "sections": sections,
        "filters": filters,
        "filter_query": _filter_query(request),
        "kinds": Engagement.Kind.choices,
        "statuses": Engagement.Status.choices,
        "leads": selectors.lead_choices() if can_edit else [],
        "clients": Client.objects.order_by("name") if can_edit else [],
        "can_edit": can_edit,
    }
    return render_page(
        request, "engagements/engagement_list.html", context, partial="engagement-results"
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def engagement_create(request: HtmxHttpRequest) -> HttpResponse:
    initial = {"client": int_or_none(request.GET.get("client")), "lead": request.user.pk}
    form = EngagementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        team = data.pop("team")
        try:
            engagement = services.engagement_create(by=request.user, team=team, **data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Engagement {engagement.name} created.")
            return redirect(engagement)
    return render_page(
        request,
        "engagements/form_page.html",
        {
            "form": form,
            "title": "New engagement",
            "submit": "Create engagement",
            "back_url": reverse("engagements:engagement_list"),
        },
        invalid=bool(form.errors),
    )


def _detail_context(request: HtmxHttpRequest, engagement: Engagement, **extra) -> dict:
    can_edit = selectors.user_can_edit_engagements(request.user)
    context = {
        "engagement": engagement,
        "can_edit": can_edit,
        "today": timezone.localdate(),
        "quick_form": QuickPainPointForm(),
        "note_form": NoteForm(),
        **selectors.engagement_sections(engagement=engagement),
        # What other apps show on this page (the risks found on it, say).
        "panels": engagement_panels(user=request.user, engagement=engagement),
    }
    context.update(extra)
    return context


@require_http_methods(["GET"])
@role_required(*READ_ROLES)
def engagement_detail(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    return render_page(
        request, "engagements/engagement_detail.html", _detail_context(request, engagement)
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def engagement_edit(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    form = EngagementForm(request.POST or None, instance=engagement)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        team = data.pop("team", None)
        try:
            services.engagement_update(engagement=engagement, by=request.user, team=team, **data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Engagement saved.")
            return redirect(engagement)
    return render_page(
        request,
        "engagements/form_page.html",
        {
            "form": form,
            "title": f"Edit {engagement.name}",
            "submit": "Save",
            "back_url": engagement.get_absolute_url(),
        },
        invalid=bool(form.errors),
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def engagement_reset(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    form = EngagementResetForm(request.POST or None, engagement=engagement)
    if request.method == "POST" and form.is_valid():
        try:
            services.engagement_reset(
                engagement=engagement,
                by=request.user,
                new_target_end_date=form.cleaned_data["new_target_end_date"],
                team_add=form.cleaned_data["team_add"],
                team_remove=form.cleaned_data["team_remove"],
                expectations=form.cleaned_data["expectations"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Engagement reset. The reset is on its timeline.")
            return redirect(engagement)
    return render_page(
        request,
        "engagements/form_page.html",
        {
            "form": form,
            "title": f"Reset {engagement.name}",
            "submit": "Reset engagement",
            "back_url": engagement.get_absolute_url(),
            "intro": "A reset records a new schedule, team changes and expectations on the "
            "engagement's timeline and sets its status to Reset.",
        },
        invalid=bool(form.errors),
    )


@require_http_methods(["POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def engagement_note_add(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.activity_add_note(engagement=engagement, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            form = NoteForm()
    if request.htmx:
        return render_fragment(
            request,
            "engagements/engagement_detail.html#timeline",
            {
                "engagement": engagement,
                "can_edit": True,
                "note_form": form,
                "timeline": selectors.engagement_timeline(engagement=engagement),
            },
            invalid=bool(form.errors),
        )
    if form.errors:
        messages.error(
            request,
            "The note was not saved: "
            + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect(engagement.get_absolute_url() + "#timeline")


@require_http_methods(["POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def pain_point_quick_log(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    """The engagement page's inline form: log a pain point without leaving the page."""
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    form = QuickPainPointForm(request.POST)
    logged = None
    if form.is_valid():
        try:
            logged = services.pain_point_log(
                engagement=engagement, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            form = QuickPainPointForm()
    if not request.htmx:
        if logged:
            messages.success(request, f"Pain point logged: {logged.title}.")
            return redirect(engagement.get_absolute_url() + "#pain-points")
        return render_page(
            request,
            "engagements/engagement_detail.html",
            _detail_context(request, engagement, quick_form=form),
            invalid=True,
        )
    context = {
        "engagement": engagement,
        "can_edit": True,
        "quick_form": form,
        "logged": logged,
        "pain_points": list(
            engagement.pain_points.select_related("identified_by").prefetch_related(
                "affected_stakeholders"
            )
        ),
    }
    response = render_fragment(
        request, "engagements/engagement_detail.html#pain-points", context, invalid=not logged
    )
    if logged:
        # The timeline lists the new entry too; it refreshes itself on this event.
        response["HX-Trigger"] = "timeline-changed"
    return response


@require_http_methods(["GET"])
@role_required(*READ_ROLES)
def engagement_timeline(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    return render_fragment(
        request,
        "engagements/engagement_detail.html#timeline",
        {
            "engagement": engagement,
            "note_form": NoteForm(),
            "can_edit": selectors.user_can_edit_engagements(request.user),
            "timeline": selectors.engagement_timeline(engagement=engagement),
        },
    )
