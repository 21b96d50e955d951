"""Pain points, recommendations, follow-ups and escalations of an engagement."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from engagements import selectors, services
from engagements.forms import (
    EscalationForm,
    EscalationStatusForm,
    FollowUpForm,
    PainPointForm,
    RecommendationDecisionForm,
    RecommendationForm,
)
from engagements.models import FollowUp
from engagements.services import EscalationCheck
from engagements.views.common import EDIT_ROLES, PER_PAGE, READ_ROLES
from psops.accounts.permissions import role_required
from psops.submissions.guard import submitted_once
from psops.ui.forms import form_errors_from
from psops.ui.htmx import HtmxHttpRequest, render_fragment, render_page


def _form_page(
    request: HtmxHttpRequest,
    *,
    form: BaseForm,
    title: str,
    submit: str,
    back_url: str,
    intro: str = "",
) -> HttpResponse:
    return render_page(
        request,
        "engagements/form_page.html",
        {"form": form, "title": title, "submit": submit, "back_url": back_url, "intro": intro},
        invalid=bool(form.errors),
    )


def _split_m2m(form: BaseForm, *names: str) -> tuple[dict, dict]:
    data = dict(form.cleaned_data)
    return {name: data.pop(name) for name in names if name in data}, data


# --- Pain points -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def pain_point_create(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    form = PainPointForm(request.POST or None, engagement=engagement)
    if request.method == "POST" and form.is_valid():
        relations, data = _split_m2m(form, "affected_stakeholders")
        try:
            pain_point = services.pain_point_log(
                engagement=engagement, by=request.user, **relations, **data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Pain point logged: {pain_point.title}.")
            return redirect(pain_point)
    return _form_page(
        request,
        form=form,
        title=f"New pain point on {engagement.name}",
        submit="Log pain point",
        back_url=engagement.get_absolute_url(),
    )


@require_http_methods(["GET"])
@role_required(*READ_ROLES)
def pain_point_detail(request: HtmxHttpRequest, pain_point_id: int) -> HttpResponse:
    pain_point = selectors.pain_point_get(user=request.user, pain_point_id=pain_point_id)
    return render_page(
        request,
        "engagements/pain_point_detail.html",
        {
            "pain_point": pain_point,
            "engagement": pain_point.engagement,
            "projection": pain_point.projection(),
            "can_edit": selectors.user_can_edit_engagements(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def pain_point_edit(request: HtmxHttpRequest, pain_point_id: int) -> HttpResponse:
    pain_point = selectors.pain_point_get(user=request.user, pain_point_id=pain_point_id)
    form = PainPointForm(
        request.POST or None, instance=pain_point, engagement=pain_point.engagement
    )
    if request.method == "POST" and form.is_valid():
        relations, data = _split_m2m(form, "affected_stakeholders")
        try:
            services.pain_point_update(pain_point=pain_point, by=request.user, **relations, **data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Pain point saved.")
            return redirect(pain_point)
    return _form_page(
        request,
        form=form,
        title=f"Edit {pain_point.title}",
        submit="Save",
        back_url=pain_point.get_absolute_url(),
    )


# --- Recommendations -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def recommendation_create(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    initial = {"pain_point": request.GET.get("pain_point")}
    form = RecommendationForm(request.POST or None, engagement=engagement, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            recommendation = services.recommendation_create(
                engagement=engagement, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Recommendation recorded: {recommendation.title}.")
            return redirect(engagement.get_absolute_url() + "#recommendations")
    return _form_page(
        request,
        form=form,
        title=f"New recommendation on {engagement.name}",
        submit="Record recommendation",
        back_url=engagement.get_absolute_url(),
        intro="What PS advised the client, and why.",
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def recommendation_edit(request: HtmxHttpRequest, recommendation_id: int) -> HttpResponse:
    recommendation = selectors.recommendation_get(
        user=request.user, recommendation_id=recommendation_id
    )
    engagement = recommendation.engagement
    form = RecommendationForm(request.POST or None, instance=recommendation, engagement=engagement)
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_update(recommendation=recommendation, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Recommendation saved.")
            return redirect(engagement.get_absolute_url() + "#recommendations")
    return _form_page(
        request,
        form=form,
        title=f"Edit {recommendation.title}",
        submit="Save",
        back_url=engagement.get_absolute_url(),
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def recommendation_decide(request: HtmxHttpRequest, recommendation_id: int) -> HttpResponse:
    recommendation = selectors.recommendation_get(
        user=request.user, recommendation_id=recommendation_id
    )
    engagement = recommendation.engagement
    initial = {
        "status": recommendation.status if recommendation.decided_on else "accepted",
        "decided_by_name": recommendation.decided_by_name,
        "decided_by_role": recommendation.decided_by_role,
        "decided_on": recommendation.decided_on or timezone.localdate(),
        "decision_reason": recommendation.decision_reason,
    }
    form = RecommendationDecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_decide(
                recommendation=recommendation, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Decision recorded on the timeline.")
            return redirect(engagement.get_absolute_url() + "#recommendations")
    return _form_page(
        request,
        form=form,
        title=f"Decision on “{recommendation.title}”",
        submit="Record decision",
        back_url=engagement.get_absolute_url(),
        intro="Who at the client decided, and why. Deferring or declining needs "
        "a reason: it is what the risk scans will quote later.",
    )


# --- Follow-ups ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def followup_create(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    form = FollowUpForm(
        request.POST or None, engagement=engagement, initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        try:
            followup = services.followup_create(
                engagement=engagement, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Follow-up added: {followup.title}.")
            return redirect(engagement.get_absolute_url() + "#followups")
    return _form_page(
        request,
        form=form,
        title=f"New follow-up on {engagement.name}",
        submit="Add follow-up",
        back_url=engagement.get_absolute_url(),
    )


def _followup_row(request: HtmxHttpRequest, followup: FollowUp, *, error: str = "") -> HttpResponse:
    response = render_fragment(
        request,
        "engagements/followup_row.html",
        {
            "followup": followup,
            "today": timezone.localdate(),
            "can_edit": True,
            "row_error": error,
            "show_engagement": request.POST.get("context") == "mine",
        },
        invalid=bool(error),
    )
    if not error:
        response["HX-Trigger"] = "timeline-changed"
    return response


@require_http_methods(["POST"])
@role_required(*EDIT_ROLES)
def followup_done(request: HtmxHttpRequest, followup_id: int) -> HttpResponse:
    followup = selectors.followup_get(user=request.user, followup_id=followup_id)
    error = ""
    try:
        followup = services.followup_complete(followup=followup, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return _followup_row(request, followup, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Done: {followup.title}.")
    next_url = request.POST.get("next", "")
    # Only back to a page of ours: "next" comes from the form, so anyone can set it.
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = followup.engagement.get_absolute_url()
    return redirect(next_url)


@require_http_methods(["POST"])
@role_required(*EDIT_ROLES)
def followup_cancel(request: HtmxHttpRequest, followup_id: int) -> HttpResponse:
    followup = selectors.followup_get(user=request.user, followup_id=followup_id)
    error = ""
    try:
        followup = services.followup_cancel(followup=followup, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return _followup_row(request, followup, error=error)
    if error:
        messages.error(request, error)
    return redirect(followup.engagement.get_absolute_url() + "#followups")


@require_http_methods(["GET"])
@role_required(*EDIT_ROLES)
def followups_mine(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(selectors.followups_mine(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render_page(
        request,
        "engagements/followups_mine.html",
        {"page": page, "today": timezone.localdate(), "can_edit": True},
    )


# --- Escalations -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
@submitted_once
def escalation_create(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, engagement_id=engagement_id)
    form = EscalationForm(request.POST or None, engagement=engagement)
    warning = None
    if request.method == "POST" and form.is_valid():
        relations, data = _split_m2m(form, "affected_stakeholders")
        confirmed = data.pop("confirm_left_out")
        try:
            outcome = services.escalation_raise(
                engagement=engagement, by=request.user, confirmed=confirmed, **relations, **data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            if isinstance(outcome, EscalationCheck):
                warning = outcome.warning
                # The same form again, now with confirmation set: saving it saves anyway.
                form.data = form.data.copy()
                form.data["confirm_left_out"] = "True"
            else:
                messages.success(request, f"Escalation raised: {outcome.title}.")
                return redirect(engagement.get_absolute_url() + "#escalations")
    return render_page(
        request,
        "engagements/escalation_form.html",
        {"form": form, "engagement": engagement, "warning": warning},
        invalid=bool(form.errors),
    )


@require_http_methods(["POST"])
@role_required(*EDIT_ROLES)
def escalation_status(request: HtmxHttpRequest, escalation_id: int) -> HttpResponse:
    escalation = selectors.escalation_get(user=request.user, escalation_id=escalation_id)
    form = EscalationStatusForm(request.POST)
    if form.is_valid():
        escalation = services.escalation_update(
            escalation=escalation, by=request.user, status=form.cleaned_data["status"]
        )
        messages.success(request, f"Escalation is now {escalation.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose a valid status.")
    return redirect(escalation.engagement.get_absolute_url() + "#escalations")
