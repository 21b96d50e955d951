import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from handoffs import selectors, services
from handoffs.forms import (
    AssignReviewerForm,
    CommentForm,
    ItemFormSet,
    PacketForm,
    ReviewForm,
    StakeholderFormSet,
)
from handoffs.models import (
    CHECKLIST,
    ITEM_FIELDS,
    PACKET_FIELDS,
    STAKEHOLDER_FIELDS,
    HandoffEvent,
    HandoffPacket,
)
from handoffs.panels import packet_panels
from psops.accounts.models import Role
from psops.accounts.permissions import role_required, user_has_role
from psops.submissions.guard import submitted_once
from psops.tenancy.services import organization_base_url
from psops.ui.forms import form_errors_from
from psops.ui.htmx import HtmxHttpRequest, render_fragment

PER_PAGE = 25


@require_http_methods(["GET"])
@role_required(*selectors.PACKET_READERS)
def packet_list(request: HtmxHttpRequest) -> HttpResponse:
    """Sales: My handoffs. Leaders: the review queue and every packet. Consultants: assigned."""
    status = request.GET.get("status", "")
    status = status if status in HandoffPacket.Status.values else ""
    page = Paginator(selectors.packet_list(user=request.user, status=status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    is_leader = user_has_role(request.user, Role.LEADER)
    context = {
        "page": page,
        "status": status,
        "statuses": HandoffPacket.Status.choices,
        "queue": selectors.review_queue() if is_leader else None,
        "is_sales": user_has_role(request.user, Role.SALES),
        "title": "My handoffs" if user_has_role(request.user, Role.SALES) else "Handoffs",
    }
    return render(request, "handoffs/packet_list.html", context)


def _packet_forms(request, *, instance: HandoffPacket):
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    return (
        PacketForm(data, files, instance=instance),
        StakeholderFormSet(data, instance=instance, prefix="stakeholders"),
        ItemFormSet(data, instance=instance, prefix="items"),
    )


def _rows(formset, row_type, names: tuple[str, ...]) -> list:
    """A valid formset's rows as the services take them: kept and new ones, none deleted."""
    rows = []
    for form in formset.forms:
        existing = form.instance.pk
        if form.cleaned_data.get("DELETE") or (existing is None and not form.has_changed()):
            continue
        rows.append(row_type(id=existing, **{name: form.cleaned_data[name] for name in names}))
    return rows


def _sow_change(form: PacketForm) -> services.SowChange:
    if "sow" not in form.changed_data:
        return services.SOW_UNCHANGED
    return form.cleaned_data.get("sow") or None


def _not_editable(request, packet: HandoffPacket) -> HttpResponse:
    messages.error(
        request,
        f"This packet is {packet.get_status_display().lower()} and cannot be "
        "edited now. Your changes were not saved.",
    )
    return redirect(packet)


def _packet_form_page(request, *, packet: HandoffPacket | None) -> HttpResponse:
    if request.method != "POST":
        form, stakeholders, items = _packet_forms(
            request, instance=packet or HandoffPacket(filed_by=request.user)
        )
        return _packet_form_render(request, packet, form, stakeholders, items, status=200)
    with transaction.atomic():
        try:
            if packet is not None:
                # Build the forms on what the locked row holds now, so that the
                # formsets' rows are the packet's rows until this save commits.
                packet = services.packet_lock_for_edit(packet=packet)
            form, stakeholders, items = _packet_forms(
                request, instance=packet or HandoffPacket(filed_by=request.user)
            )
            if all([form.is_valid(), stakeholders.is_valid(), items.is_valid()]):
                people = _rows(stakeholders, services.StakeholderRow, STAKEHOLDER_FIELDS)
                things = _rows(items, services.ItemRow, ITEM_FIELDS)
                sow = _sow_change(form)
                fields = {name: form.cleaned_data[name] for name in PACKET_FIELDS}
                try:
                    if packet is None:
                        saved = services.packet_create(
                            by=request.user, stakeholders=people, items=things, sow=sow, **fields
                        )
                    else:
                        saved, _ = services.packet_update(
                            packet=packet,
                            by=request.user,
                            fields=fields,
                            stakeholders=people,
                            items=things,
                            sow=sow,
                            note="Edited in PS Ops.",
                        )
                except ValidationError as error:
                    form_errors_from(form, error)
                else:
                    missing = services.packet_missing_for_submission(packet=saved)
                    note = (
                        (" Still needed before you can submit: " + ", ".join(missing) + ".")
                        if missing
                        else ""
                    )
                    messages.success(request, f"Saved {saved.deal_name}.{note}")
                    return redirect(saved)
        except services.PacketNotEditable as refused:
            return _not_editable(request, refused.packet)
    _say_the_sow_was_not_kept(request, form)
    return _packet_form_render(request, packet, form, stakeholders, items, status=400)


def _say_the_sow_was_not_kept(request: HtmxHttpRequest, form: PacketForm) -> None:
    """A browser cannot refill a file field: when the page comes back with errors, a SOW
    chosen for this save was not stored, and the person is told so at the field."""
    upload = request.FILES.get("sow")
    if upload is None or form.has_error("sow"):
        return  # nothing chosen, or the file itself was refused (its error says why)
    form.add_error(
        "sow",
        f"{upload.name} was not saved because of the other errors on this page: "
        "attach it again before you save.",
    )


def _packet_form_render(request, packet, form, stakeholders, items, *, status: int):
    return render(
        request,
        "handoffs/packet_form.html",
        {"form": form, "stakeholders": stakeholders, "items": items, "packet": packet},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.SALES)
@submitted_once
def packet_create(request: HtmxHttpRequest) -> HttpResponse:
    return _packet_form_page(request, packet=None)


@require_http_methods(["GET", "POST"])
@role_required(Role.SALES)
def packet_edit(request: HtmxHttpRequest, packet_id: int) -> HttpResponse:
    packet = selectors.packet_get(user=request.user, packet_id=packet_id)
    if not packet.is_editable:
        messages.error(
            request,
            f"This packet is {packet.get_status_display().lower()} and cannot be edited now.",
        )
        return redirect(packet)
    return _packet_form_page(request, packet=packet)


@require_http_methods(["GET"])
@role_required(*selectors.PACKET_READERS)
def packet_detail(request: HtmxHttpRequest, packet_id: int) -> HttpResponse:
    packet = selectors.packet_get(user=request.user, packet_id=packet_id)
    is_filer = packet.filed_by_id == request.user.pk
    context = {
        "packet": packet,
        **selectors.packet_sections(packet=packet),
        "is_filer": is_filer,
        "can_review": packet.status == HandoffPacket.Status.SUBMITTED
        and services.user_can_review(user=request.user, packet=packet),
        "can_assign": user_has_role(request.user, Role.LEADER)
        and packet.status == HandoffPacket.Status.SUBMITTED,
        "missing": services.packet_missing_for_submission(packet=packet)
        if is_filer and packet.is_editable
        else [],
        "comment_form": CommentForm(),
        "assign_form": AssignReviewerForm(initial={"reviewer": packet.assigned_reviewer_id}),
        "event_kinds": HandoffEvent.Kind,
        # What other apps show on this page (capacity's tentative demand, say).
        "panels": packet_panels(user=request.user, packet=packet),
    }
    return render(request, "handoffs/packet_detail.html", context)


@require_http_methods(["POST"])
@role_required(Role.SALES)
def packet_submit(request: HtmxHttpRequest, packet_id: int) -> HttpResponse:
    packet = selectors.packet_get(user=request.user, packet_id=packet_id)
    try:
        services.packet_submit(packet=packet, by=request.user, base_url=organization_base_url())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Submitted. PS leaders have been notified.")
    return redirect(packet)


@require_http_methods(["GET", "POST"])
@role_required(Role.LEADER, Role.CONSULTANT)
def packet_review(request: HtmxHttpRequest, packet_id: int) -> HttpResponse:
    packet = selectors.packet_get(user=request.user, packet_id=packet_id)
    if not services.user_can_review(user=request.user, packet=packet):
        raise Http404
    if packet.status != HandoffPacket.Status.SUBMITTED:
        messages.error(request, "This packet is not waiting for a review.")
        return redirect(packet)
    items = list(packet.items.all())
    form = ReviewForm(
        request.POST or None, items=items, initial={"lead": packet.assigned_reviewer_id}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        review = services.ReviewInput(
            decision=data["decision"],
            scores={name: data[name] for name, _ in CHECKLIST},
            verdicts={i.pk: (data[f"verdict_{i.pk}"], data[f"note_{i.pk}"]) for i in items},
            comments=data["comments"],
            lead=data["lead"],
        )
        try:
            services.packet_review(
                packet=packet, by=request.user, review=review, base_url=organization_base_url()
            )
        except ValidationError as error:
            # Field errors, or one message for the whole review (another reviewer decided
            # while this form was being filled in).
            by_field = (
                error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
            )
            for field, field_errors in by_field.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            packet.refresh_from_db()
            messages.success(request, f"Decision recorded: {packet.get_status_display()}.")
            if packet.engagement_id:
                return redirect(packet.engagement)
            return redirect(packet)
    return render(
        request,
        "handoffs/packet_review.html",
        {"packet": packet, "form": form, **selectors.packet_sections(packet=packet)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["POST"])
@role_required(*selectors.PACKET_READERS)
@submitted_once
def packet_comment(request: HtmxHttpRequest, packet_id: int) -> HttpResponse:
    packet = selectors.packet_get(user=request.user, packet_id=packet_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.comment_add(packet=packet, by=request.user, body=form.cleaned_data["body"])
        form = CommentForm()
    if request.htmx:
        return render_fragment(
            request,
            "handoffs/packet_detail.html#comments",
            {
                "packet": packet,
                "comment_form": form,
                "comments": list(packet.comments.select_related("author")),
            },
            invalid=bool(form.errors),
        )
    if form.errors:
        messages.error(request, "Write a comment first.")
    return redirect(packet.get_absolute_url() + "#comments")


@require_http_methods(["POST"])
@role_required(Role.LEADER)
def packet_assign(request: HtmxHttpRequest, packet_id: int) -> HttpResponse:
    packet = selectors.packet_get(user=request.user, packet_id=packet_id)
    form = AssignReviewerForm(request.POST)
    if form.is_valid():
        try:
            services.packet_assign_reviewer(packet=packet, reviewer=form.cleaned_data["reviewer"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Reviewer assigned.")
    else:
        messages.error(request, "Choose a consultant or a PS leader to review this packet.")
    return redirect(packet)


@require_http_methods(["GET"])
@role_required(*selectors.PACKET_READERS)
def packet_sow(request: HtmxHttpRequest, packet_id: int) -> FileResponse:
    """The SOW, only to those who may see the packet (never from a public media URL)."""
    packet = selectors.packet_get(user=request.user, packet_id=packet_id)
    if not packet.sow:
        raise Http404
    filename = packet.sow_filename or packet.sow.name.rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(
        packet.sow.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
