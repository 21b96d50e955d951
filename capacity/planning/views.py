"""Planning pages: a person's capacity, the capacity grid, allocations and packet demand.

Thin: parse, call a selector or a service, pick the response. Every htmx swap has a
plain page or redirect behind it, so each form works without JavaScript.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from capacity.hours import monday_of
from capacity.planning import selectors, services
from capacity.planning.forms import (
    AllocationForm,
    DemandForm,
    TimeOffForm,
    WeeklyCapacityForm,
    WorkingPatternForm,
)
from capacity.planning.selectors import PLANNERS
from engagements.models import Engagement
from engagements.selectors import engagement_get
from handoffs.selectors import packet_get
from handoffs.services import user_can_review
from psops.accounts.models import Role, User
from psops.accounts.permissions import ALL_ROLES, role_required
from psops.ui.forms import form_errors_from, int_or_none
from psops.ui.htmx import HtmxHttpRequest, render_fragment, render_page, wants_partial

GRID = "capacity/planning/capacity_grid.html"
PERSON = "capacity/planning/person_capacity.html"
PERSON_PARTIAL = "person-capacity"
PACKET_PANEL = "capacity/planning/packet_panel.html#packet-demand"
# Who may add demand to a packet: leaders and the packet's assigned reviewer (a
# consultant). Admins read no packet (handoffs.selectors.PACKET_READERS).
DEMAND_ROLES = (Role.LEADER, Role.CONSULTANT)


def _safe_next(request: HtmxHttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _first_week(request: HtmxHttpRequest) -> date:
    try:
        return monday_of(date.fromisoformat(request.GET.get("from", "")))
    except ValueError:
        return monday_of(timezone.localdate())


# --- The grid ----------------------------------------------------------------------------


def _grid_filters(request: HtmxHttpRequest) -> dict[str, str]:
    team = request.GET.get("team", "").strip()
    role = request.GET.get("role", "")
    kind = request.GET.get("kind", "")
    return {
        "team": team[:100],
        "role": role if role in Role.values and role != Role.SALES else "",
        "kind": kind if kind in Engagement.Kind.values else "",
    }


def _grid_url(first: date, filters: dict[str, str], **more: str) -> str:
    params = {k: v for k, v in filters.items() if v} | {"from": first.isoformat()} | more
    return f"{reverse('capacity:capacity_grid')}?{urlencode(params)}"


def _row_context(first: date, grid_url: str, **extra) -> dict:
    weeks = selectors.grid_weeks(first)
    return {
        "weeks": weeks,
        "from_value": first.isoformat(),
        "grid_url": grid_url,
        "row_query": urlencode({"from": first.isoformat(), "next": grid_url}),
        "columns": len(weeks) + 1,
        **extra,
    }


@require_http_methods(["GET"])
@login_required
@role_required(*PLANNERS)
def capacity_grid(request: HtmxHttpRequest) -> HttpResponse:
    """People by week: allocated against capacity, tentative demand apart."""
    first = _first_week(request)
    filters = _grid_filters(request)
    grid_url = _grid_url(first, filters)
    context = _row_context(first, grid_url)
    weeks = context["weeks"]
    # One person's row, for the inline editor's Cancel.
    one = int_or_none(request.GET.get("person"))
    if one and wants_partial(request, f"person-{one}"):
        person = get_object_or_404(selectors.planned_people(), pk=one)
        row = selectors.grid_rows(people=[person], weeks=weeks)[0]
        return render_fragment(request, f"{GRID}#person-row", context | {"row": row})
    people = selectors.grid_people(weeks=weeks, **filters)
    page = Paginator(people, selectors.PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.grid_rows(people=list(page.object_list), weeks=weeks)
    query = {k: v for k, v in filters.items() if v} | {"from": first.isoformat()}
    context |= {
        "rows": rows,
        "page": page,
        "demand": selectors.demand_row(weeks=weeks, kind=filters["kind"]),
        "filters": filters,
        "filter_query": urlencode(query) + "&",
        "teams": selectors.team_choices(),
        "roles": [(v, label) for v, label in Role.choices if v != Role.SALES],
        "kinds": Engagement.Kind.choices,
        "today_url": _grid_url(monday_of(timezone.localdate()), filters),
        "previous_url": _grid_url(weeks[0] - selectors.ONE_WEEK, filters),
        "next_url": _grid_url(weeks[0] + selectors.ONE_WEEK, filters),
        "earlier_url": _grid_url(weeks[0] - len(weeks) * selectors.ONE_WEEK, filters),
        "later_url": _grid_url(weeks[0] + len(weeks) * selectors.ONE_WEEK, filters),
        "reads_packets": request.user.role == Role.LEADER,
    }
    return render_page(request, GRID, context, partial="grid-results")


# --- Allocations -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@role_required(*PLANNERS)
def allocation_create(request: HtmxHttpRequest, engagement_id: int) -> HttpResponse:
    engagement = engagement_get(user=request.user, engagement_id=engagement_id)
    initial = {
        "person": int_or_none(request.GET.get("person")),
        "starts_on": engagement.start_date,
        "ends_on": engagement.target_end_date,
    }
    form = AllocationForm(request.POST or None, initial=initial)
    back = _safe_next(request) or engagement.get_absolute_url() + "#planning"
    if request.method == "POST" and form.is_valid():
        try:
            allocation = services.allocation_create(
                engagement=engagement, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{allocation.person} allocated to {engagement.name}.")
            return redirect(back)
    return render_page(
        request,
        "capacity/planning/allocation_form.html",
        {
            "form": form,
            "title": f"Allocate someone to {engagement.name}",
            "intro": _engagement_dates(engagement),
            "submit": "Allocate",
            "back_url": back,
        },
        partial="allocation-form",
        invalid=bool(form.errors),
    )


def _engagement_dates(engagement: Engagement) -> str:
    start = f"{engagement.start_date:%-d %b %Y}" if engagement.start_date else "no start date"
    end = (
        f"{engagement.target_end_date:%-d %b %Y}" if engagement.target_end_date else "no target end"
    )
    return f"{engagement.client.name}: {engagement.get_kind_display()}, {start} to {end}."


@require_http_methods(["GET", "POST"])
@login_required
@role_required(*PLANNERS)
def allocation_edit(request: HtmxHttpRequest, allocation_id: int) -> HttpResponse:
    """A full page, or (from the grid, aimed at the person's row) the row with an inline
    form; saving there re-renders the row with its new numbers."""
    allocation = selectors.allocation_get(user=request.user, allocation_id=allocation_id)
    engagement = allocation.engagement
    if engagement is None:  # allocation_get reads engagements' allocations only
        raise Http404
    form = AllocationForm.for_allocation(allocation, request.POST or None)
    saved = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.allocation_update(
                allocation=allocation, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
    back = _safe_next(request) or engagement.get_absolute_url() + "#planning"
    person = allocation.person
    if person is not None and wants_partial(request, f"person-{person.pk}"):
        if saved is not None and saved.person_id != person.pk:
            # Moved to someone else: both rows change.
            return HttpResponseClientRefresh()
        first = _first_week(request)
        context = _row_context(first, _safe_next(request) or _grid_url(first, {}))
        row = selectors.grid_rows(people=[person], weeks=context["weeks"])[0]
        context |= {"row": row, "form": form, "editing": None if saved else allocation}
        return render_fragment(request, f"{GRID}#person-row", context, invalid=bool(form.errors))
    if saved is not None:
        messages.success(request, f"Allocation of {saved.person} saved.")
        return redirect(back)
    return render_page(
        request,
        "capacity/planning/allocation_form.html",
        {
            "form": form,
            "allocation": allocation,
            "title": f"{allocation.person} on {engagement.name}",
            "intro": _engagement_dates(engagement),
            "submit": "Save",
            "back_url": back,
        },
        partial="allocation-form",
        invalid=bool(form.errors),
    )


@require_http_methods(["POST"])
@login_required
@role_required(*PLANNERS)
def allocation_delete(request: HtmxHttpRequest, allocation_id: int) -> HttpResponse:
    allocation = selectors.allocation_get(user=request.user, allocation_id=allocation_id)
    if allocation.engagement is None:
        raise Http404
    back = _safe_next(request) or allocation.engagement.get_absolute_url() + "#planning"
    services.allocation_delete(allocation=allocation, by=request.user)
    if request.htmx:
        return HttpResponseClientRefresh()
    messages.success(request, f"Allocation of {allocation.person} removed.")
    return redirect(back)


# --- A person's capacity -----------------------------------------------------------------


def _person_page(
    request: HtmxHttpRequest,
    person: User,
    *,
    invalid: bool = False,
    saved: str = "",
    **forms,
) -> HttpResponse:
    viewer = request.user
    context = {
        "person": person,
        "saved": saved,
        "can_manage": selectors.user_manages_person(viewer, person),
        "can_plan": selectors.user_plans(viewer),
        **selectors.person_capacity_sections(
            viewer=viewer, person=person, today=timezone.localdate()
        ),
    }
    pattern = context["pattern"]
    context["time_off_form"] = forms.get("time_off_form") or TimeOffForm()
    context["capacity_form"] = forms.get("capacity_form") or WeeklyCapacityForm(
        initial={"starts_on": timezone.localdate()}
    )
    context["pattern_form"] = forms.get("pattern_form") or WorkingPatternForm(
        initial={
            "starts_at": pattern.starts_at,
            "ends_at": pattern.ends_at,
            "weekdays": pattern.weekdays or [0, 1, 2, 3, 4],
        }
        if pattern
        else None
    )
    return render_page(request, PERSON, context, partial=PERSON_PARTIAL, invalid=invalid)


def _after_change(request: HtmxHttpRequest, person: User, message: str) -> HttpResponse:
    if request.htmx:
        return _person_page(request, person, saved=message)
    messages.success(request, message)
    return redirect("capacity:person_capacity", user_id=person.pk)


def _managed_person(request: HtmxHttpRequest, user_id: int) -> User:
    person = selectors.person_get(user=request.user, person_id=user_id)
    if not selectors.user_manages_person(request.user, person):
        raise PermissionDenied("Only the person, PS leaders and admins change this.")
    return person


@require_http_methods(["GET"])
@login_required
@role_required(*ALL_ROLES)
def person_capacity(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, person_id=user_id)
    return _person_page(request, person)


@require_http_methods(["POST"])
@login_required
@role_required(*ALL_ROLES)
def time_off_add(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    person = _managed_person(request, user_id)
    form = TimeOffForm(request.POST)
    if form.is_valid():
        try:
            services.time_off_add(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return _after_change(request, person, "Time off recorded.")
    return _person_page(request, person, invalid=True, time_off_form=form)


@require_http_methods(["POST"])
@login_required
@role_required(*ALL_ROLES)
def time_off_delete(request: HtmxHttpRequest, time_off_id: int) -> HttpResponse:
    time_off = selectors.time_off_get(user=request.user, time_off_id=time_off_id)
    person = _managed_person(request, time_off.person_id)
    services.time_off_delete(time_off=time_off, by=request.user)
    return _after_change(request, person, "Time off removed.")


@require_http_methods(["POST"])
@login_required
@role_required(*ALL_ROLES)
def working_pattern_set(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    person = _managed_person(request, user_id)
    form = WorkingPatternForm(request.POST)
    if form.is_valid():
        try:
            services.working_pattern_set(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return _after_change(request, person, "Working hours saved.")
    return _person_page(request, person, invalid=True, pattern_form=form)


@require_http_methods(["POST"])
@login_required
@role_required(*PLANNERS)
def weekly_capacity_set(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, person_id=user_id)
    form = WeeklyCapacityForm(request.POST)
    if form.is_valid():
        try:
            services.weekly_capacity_set(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return _after_change(request, person, "Weekly hours saved.")
    return _person_page(request, person, invalid=True, capacity_form=form)


# --- Tentative demand on packets ---------------------------------------------------------


def _packet_panel(request: HtmxHttpRequest, packet, *, invalid=False) -> HttpResponse:
    panel = selectors.packet_demand_panel(request.user, packet) or {
        "packet": packet,
        "lines": [],
        "can_edit": False,
    }
    return render_fragment(request, PACKET_PANEL, {"panel": panel}, invalid=invalid)


@require_http_methods(["GET", "POST"])
@login_required
@role_required(*DEMAND_ROLES)
def packet_demand_add(request: HtmxHttpRequest, packet_id: int) -> HttpResponse:
    packet = packet_get(user=request.user, packet_id=packet_id)
    if not user_can_review(user=request.user, packet=packet):
        raise PermissionDenied("Only a PS leader or the packet's reviewer adds demand.")
    form = DemandForm(request.POST or None, initial={"starts_on": packet.requested_start})
    if request.method == "POST" and form.is_valid():
        try:
            services.packet_demand_add(packet=packet, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Demand added.")
            url = packet.get_absolute_url() + "#packet-demand"
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return render_page(
        request,
        "capacity/planning/allocation_form.html",
        {
            "form": form,
            "title": f"Staffing demand for {packet.deal_name}",
            "intro": "Tentative until the packet is accepted: then it becomes the "
            "engagement's confirmed allocations.",
            "submit": "Add demand",
            "back_url": packet.get_absolute_url(),
        },
        partial="allocation-form",
        invalid=bool(form.errors),
    )


@require_http_methods(["POST"])
@login_required
@role_required(*DEMAND_ROLES)
def packet_demand_delete(request: HtmxHttpRequest, demand_id: int) -> HttpResponse:
    line = selectors.demand_get(user=request.user, demand_id=demand_id)
    packet = line.packet
    if packet is None:  # demand_get reads packets' demand only
        raise Http404
    try:
        services.packet_demand_delete(line=line, by=request.user)
    except ValidationError as error:
        if request.htmx:
            return _packet_panel(request, packet, invalid=True)
        messages.error(request, " ".join(error.messages))
        return redirect(packet)
    if request.htmx:
        return _packet_panel(request, packet)
    messages.success(request, "Demand removed.")
    return redirect(packet.get_absolute_url() + "#packet-demand")
