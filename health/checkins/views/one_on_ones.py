"""1:1s and skip-levels. Every page reads through ``one_on_ones_of(request.user)``: a 1:1
that is not yours is a 404 whatever your role, exactly like one that does not exist."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from health.checkins import one_on_ones
from health.checkins.forms import OneOnOneCreateForm, PrivateNoteForm, SharedNotesForm
from health.checkins.one_on_ones import Relation
from health.models import OneOnOne, OneOnOnePrivateNote
from psops.accounts.permissions import ALL_ROLES, role_required
from psops.submissions.guard import submitted_once
from psops.ui.forms import form_errors_from
from psops.ui.htmx import HtmxHttpRequest, render_fragment, render_page

PER_PAGE = 20
DETAIL = "health/checkins/one_on_one_detail.html"


@require_http_methods(["GET"])
@role_required(*ALL_ROLES)
def one_on_one_list(request: HtmxHttpRequest) -> HttpResponse:
    relation = request.GET.get("as", Relation.ALL)
    if relation not in dict(Relation.CHOICES):
        relation = Relation.ALL
    rows = one_on_ones.one_on_one_list(user=request.user, relation=relation)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    counts = one_on_ones.one_on_one_counts(user=request.user)
    tabs = [
        {
            "value": value,
            "label": label,
            "count": counts[value or "all"],
            "active": value == relation,
        }
        for value, label in Relation.CHOICES
    ]
    can_start = one_on_ones.one_on_one_candidates(manager=request.user).exists()
    return render_page(
        request,
        "health/checkins/one_on_one_list.html",
        {"page": page, "relation": relation, "tabs": tabs, "can_start": can_start},
        partial="results",
        target="one-on-one-results",
    )


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
@submitted_once
def one_on_one_create(request: HtmxHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = OneOnOneCreateForm(
        # Bound on every POST, even an empty one: an error is added to it below.
        request.POST if request.method == "POST" else None,
        manager=request.user,
        initial={"held_on": today, "report": request.GET.get("report")},
    )
    has_candidates = form.fields["report"].queryset.exists()
    if request.method == "POST":
        if not has_candidates:
            form.errors.clear()
            form.add_error(None, one_on_ones.NOT_YOUR_REPORT)
        elif form.is_valid():
            try:
                created = one_on_ones.one_on_one_create(manager=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                kind = "Skip-level" if created.is_skip_level else "1:1"
                messages.success(request, f"{kind} with {created.report} started.")
                return redirect("checkins:one_on_one_detail", one_on_one_id=created.pk)
    return render_page(
        request,
        "health/checkins/one_on_one_form.html",
        {"form": form, "has_candidates": has_candidates},
        invalid=request.method == "POST",
    )


def _shared_form(one_on_one: OneOnOne) -> SharedNotesForm:
    return SharedNotesForm(
        instance=one_on_one, initial={"version": one_on_ones.version_of(one_on_one)}
    )


def _private_form(note: OneOnOnePrivateNote | None) -> PrivateNoteForm:
    return PrivateNoteForm(initial={"body": note.body if note else ""})


def _detail_context(request: HtmxHttpRequest, one_on_one: OneOnOne, **overrides) -> dict:
    """Everything the page shows. The private note is always the reader's own."""
    me = request.user
    note = one_on_ones.private_note_of(one_on_one=one_on_one, author=me)
    context = {
        "one_on_one": one_on_one,
        "other": one_on_one.report if one_on_one.manager_id == me.pk else one_on_one.manager,
        "i_lead": one_on_one.manager_id == me.pk,
        "private_note": note,
        "private_form": _private_form(note),
    }
    if "shared_form" not in overrides:
        context["shared_form"] = _shared_form(one_on_one)
    context.update(overrides)
    return context


@require_http_methods(["GET"])
@role_required(*ALL_ROLES)
def one_on_one_detail(request: HtmxHttpRequest, one_on_one_id: int) -> HttpResponse:
    one_on_one = one_on_ones.one_on_one_get(user=request.user, one_on_one_id=one_on_one_id)
    return render_page(request, DETAIL, _detail_context(request, one_on_one))


@require_http_methods(["POST"])
@role_required(*ALL_ROLES)
def one_on_one_shared_notes(request: HtmxHttpRequest, one_on_one_id: int) -> HttpResponse:
    """Save the shared notes; with htmx the section is swapped in place."""
    one_on_one = one_on_ones.one_on_one_get(user=request.user, one_on_one_id=one_on_one_id)
    held_on_before = one_on_one.held_on
    form = SharedNotesForm(request.POST)
    conflict_with = None
    saved = False
    if form.is_valid():
        try:
            one_on_ones.one_on_one_update_shared(
                one_on_one=one_on_one,
                by=request.user,
                held_on=form.cleaned_data["held_on"],
                shared_notes=form.cleaned_data["shared_notes"],
                seen_version=form.cleaned_data["version"] or None,
            )
        except one_on_ones.SharedNotesConflict as conflict:
            one_on_one = conflict.current
            conflict_with = conflict.current.shared_notes
            # Keep what this person typed; saving again now overwrites on purpose.
            data = request.POST.copy()
            data["version"] = one_on_ones.version_of(conflict.current)
            form = SharedNotesForm(data)
            form.is_valid()
            form.add_error(
                None,
                "The shared notes were changed by the other person while you were writing. "
                "Their version is shown below the form: merge what you need into yours "
                "and save again.",
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            saved = True
            form = _shared_form(one_on_one)
    if request.htmx:
        if saved and one_on_one.held_on != held_on_before:
            # The date is also in the page's heading, outside the swapped section.
            return HttpResponseClientRefresh()
        return render_fragment(
            request,
            f"{DETAIL}#shared-notes",
            {
                "one_on_one": one_on_one,
                "shared_form": form,
                "saved": saved,
                "conflict_with": conflict_with,
            },
            invalid=not saved,
        )
    if saved:
        messages.success(request, "Shared notes saved.")
        return redirect("checkins:one_on_one_detail", one_on_one_id=one_on_one.pk)
    context = _detail_context(request, one_on_one, shared_form=form, conflict_with=conflict_with)
    return render_page(request, DETAIL, context, invalid=True)


@require_http_methods(["POST"])
@role_required(*ALL_ROLES)
def one_on_one_private_note(request: HtmxHttpRequest, one_on_one_id: int) -> HttpResponse:
    """Save (or, empty, delete) my own private note on the 1:1."""
    one_on_one = one_on_ones.one_on_one_get(user=request.user, one_on_one_id=one_on_one_id)
    form = PrivateNoteForm(request.POST)
    note = None
    saved = False
    if form.is_valid():
        note = one_on_ones.private_note_save(
            one_on_one=one_on_one, author=request.user, body=form.cleaned_data["body"]
        )
        saved = True
        form = _private_form(note)
    if request.htmx:
        return render_fragment(
            request,
            f"{DETAIL}#private-note",
            {
                "one_on_one": one_on_one,
                "private_form": form,
                "private_note": note,
                "saved": saved,
            },
            invalid=not saved,
        )
    if saved:
        messages.success(request, "Private note saved." if note else "Private note deleted.")
        return redirect("checkins:one_on_one_detail", one_on_one_id=one_on_one.pk)
    context = _detail_context(request, one_on_one, private_form=form)
    return render_page(request, DETAIL, context, invalid=True)
