"""The weekly check-in: my own (this week's form and my history), my team's, the summary."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import ModelForm
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from health.anonymity import pulse_minimum
from health.checkins import weekly as checkins
from health.checkins.forms import CheckInForm
from health.models import CheckIn
from health.weeks import IsoWeek, closed_weeks
from psops.accounts.models import Role
from psops.accounts.permissions import ALL_ROLES, role_required, user_has_role
from psops.ui.forms import form_errors_from
from psops.ui.htmx import HtmxHttpRequest, render_page

HISTORY_PER_PAGE = 10
# Leaders only: the summary is about the people doing the work, and an admin's job
# (settings, people, delivery of email) needs no reading of how anyone's week went.
SUMMARY_ROLES = (Role.LEADER,)


def _checkin_page_context(
    request: HtmxHttpRequest, *, week: IsoWeek, form: ModelForm, current: CheckIn | None
) -> dict:
    history = Paginator(checkins.checkin_history(user=request.user), HISTORY_PER_PAGE)
    return {
        "week": week,
        "form": form,
        "current": current,
        "page": history.get_page(request.GET.get("page")),
        "has_reports": checkins.user_has_direct_reports(user=request.user),
        "sees_summary": user_has_role(request.user, *SUMMARY_ROLES),
    }


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
def checkin(request: HtmxHttpRequest) -> HttpResponse:
    """This week's check-in (filed or changed here) above my earlier ones."""
    today = timezone.localdate()
    week = IsoWeek.of(today)
    current = checkins.checkin_this_week(user=request.user, today=today)

    if request.method == "GET":
        form = CheckInForm(instance=current, initial={"week": str(week)})
        return render_page(
            request,
            "health/checkins/checkin_page.html",
            _checkin_page_context(request, week=week, form=form, current=current),
            partial="history",
            target="checkin-history",
        )

    data = request.POST.copy()
    shown_for = data.get("week") or str(week)
    # Whatever happens next, a form shown again is for the week that is open now.
    data["week"] = str(week)
    form = CheckInForm(data, instance=current)
    if form.is_valid():
        if shown_for != str(week):
            form.add_error(
                None,
                f"Week {shown_for} is over, so its check-in can no longer be changed. "
                f"This form now files your check-in for {week}: check the answers and save.",
            )
        else:
            try:
                saved = checkins.checkin_save(user=request.user, today=today, **form.answers())
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                verb = "updated" if current else "filed"
                messages.success(request, f"Check-in for {week} {verb}. Thank you.")
                if saved.wants_one_on_one:
                    messages.info(request, "Your manager will see that you would like a 1:1.")
                return redirect("checkins:checkin")
    return render_page(
        request,
        "health/checkins/checkin_page.html",
        _checkin_page_context(request, week=week, form=form, current=current),
        invalid=True,
    )


@require_http_methods(["GET"])
@role_required(*ALL_ROLES)
def checkin_team(request: HtmxHttpRequest) -> HttpResponse:
    """My direct reports' check-ins of the last weeks; nobody else's reports."""
    today = timezone.localdate()
    reports = checkins.checkins_of_reports(manager=request.user, today=today)
    return render_page(
        request,
        "health/checkins/checkin_team.html",
        {
            "reports": reports,
            "weeks_shown": checkins.TEAM_WEEKS,
            "this_week": IsoWeek.of(today),
            "asking": [report for report in reports if report.wants_one_on_one],
        },
    )


@require_http_methods(["GET"])
@role_required(*SUMMARY_ROLES)
def checkin_summary(request: HtmxHttpRequest) -> HttpResponse:
    """Everyone's check-ins as weekly aggregates: no names, no individual answers.

    Computed for the viewer: whoever they read by name (themselves, their reports) is
    left out, so that the summary minus the team page gives nobody away.

    Only weeks closed everywhere: a week still open somewhere changes with each
    check-in filed, and two reads a check-in apart would give that check-in away.
    """
    weeks = closed_weeks(today=timezone.localdate(), count=checkins.SUMMARY_WEEKS)
    minimum = pulse_minimum()
    aggregates = checkins.checkin_weekly_aggregates(
        weeks=weeks, minimum=minimum, viewer=request.user
    )
    return render_page(
        request,
        "health/checkins/checkin_summary.html",
        {
            "aggregates": list(reversed(aggregates)),
            "weeks_shown": checkins.SUMMARY_WEEKS,
            "minimum": minimum,
            "has_reports": checkins.user_has_direct_reports(user=request.user),
        },
    )
