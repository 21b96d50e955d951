"""The anonymous pulse: this week's form for everyone, results for leaders and admins."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from health import anonymity, groups
from health.pulse import selectors, services
from health.pulse.forms import PulseForm
from health.weeks import IsoWeek, recent_weeks
from psops.accounts.models import Role
from psops.accounts.permissions import ALL_ROLES, role_required, user_has_role
from psops.ui.forms import form_errors_from
from psops.ui.htmx import HtmxHttpRequest, render_page

RESULT_ROLES = (Role.LEADER, Role.ADMIN)


def _pulse_page(
    request: HtmxHttpRequest, *, week: IsoWeek, form: PulseForm | None, status: int = 200
) -> HttpResponse:
    team = groups.team_for_week(user=request.user, week=week)
    answered = services.pulse_answered(user=request.user, week=week)
    context = {
        "week": week,
        "next_week": week.shifted(1),
        "form": None if answered or team is None else form,
        "answered": answered,
        "not_counted_yet": (
            services.not_counted_yet_message(user=request.user, week=week)
            if team is None and not answered
            else ""
        ),
        "minimum": anonymity.pulse_minimum(week),
        "comment_minimum": 2 * anonymity.pulse_minimum(week),
        "team": (team or "").strip(),
        "sees_results": user_has_role(request.user, *RESULT_ROLES),
    }
    return render_page(request, "health/pulse/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
def pulse(request: HtmxHttpRequest) -> HttpResponse:
    """This week's pulse, or a thank-you once answered: never what was answered."""
    week = IsoWeek.of(timezone.localdate())
    if services.pulse_answered(user=request.user, week=week):
        if request.method == "POST":
            messages.error(request, services.already_answered_message(week))
            return _pulse_page(request, week=week, form=None, status=409)
        return _pulse_page(request, week=week, form=None)

    if request.method == "GET":
        return _pulse_page(request, week=week, form=PulseForm(initial={"week": str(week)}))

    data = request.POST.copy()
    shown_for = data.get("week") or str(week)
    # Whatever happens next, a form shown again is for the week that is open now.
    data["week"] = str(week)
    form = PulseForm(data)
    status = 400
    if form.is_valid():
        if shown_for != str(week):
            form.add_error(
                None,
                f"Week {shown_for} is over, so its pulse is closed. This form now answers "
                f"for {week}: check your answers and send them again.",
            )
        else:
            try:
                services.pulse_submit(user=request.user, week=week, **form.answers())
            except services.PulseNotCountedYet as error:
                messages.error(request, error.messages[0])
                return _pulse_page(request, week=week, form=None, status=409)
            except services.PulseAlreadyAnswered as error:
                messages.error(request, error.messages[0])
                return _pulse_page(request, week=week, form=None, status=409)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                minimum = anonymity.pulse_minimum(week)
                messages.success(
                    request,
                    f"Thank you: your answer for {week} is in, without your name. It is "
                    f"published with the others once {minimum} have answered; a week with "
                    f"fewer than {minimum} answers is not published.",
                )
                return redirect("pulse:pulse")
    return _pulse_page(request, week=week, form=form, status=status)


@require_http_methods(["GET"])
@role_required(*RESULT_ROLES)
def pulse_results(request: HtmxHttpRequest) -> HttpResponse:
    """The last closed weeks, each shown only as far as the anonymity rules allow."""
    today = timezone.localdate()
    minimum = anonymity.pulse_minimum()
    weeks = recent_weeks(today=today, count=selectors.RESULT_WEEKS, include_current=False)
    results = selectors.pulse_results_for_weeks(weeks=weeks, today=today)
    context = {
        "results": list(reversed(results)),
        "minimum": minimum,
        "this_week": IsoWeek.of(today),
        "other_label": anonymity.OTHER_LABEL,
    }
    return render_page(request, "health/pulse/results.html", context)
