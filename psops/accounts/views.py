from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from psops.accounts import services
from psops.accounts.forms import (
    InvitationAcceptForm,
    InvitationForm,
    NotifyingSetPasswordForm,
    OrganizationSettingsForm,
    QueuedPasswordResetForm,
    SignInForm,
    UserEditForm,
)
from psops.accounts.models import Invitation, OrganizationSettings, Role, User
from psops.accounts.permissions import role_required
from psops.accounts.sessions import sign_in_complete
from psops.accounts.views_security import sign_in_start
from psops.outbox.models import OutboundEmail
from psops.tenancy.services import organization_base_url
from psops.ui.forms import form_errors_from
from psops.ui.htmx import HtmxHttpRequest, render_fragment, render_page

USERS_PER_PAGE = 25


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        # The password was right; a person with a second factor is asked for a code next.
        return sign_in_start(self.request, user=form.get_user(), next_url=self.get_success_url())


def locked_out(request, credentials, *args, **kwargs) -> HttpResponse:
    """django-axes calls this once an email and IP have failed too often."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = SignInForm(request, data=request.POST or None)
    form.errors.clear()
    return render(
        request,
        "accounts/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": minutes},
        status=429,
    )


sign_out = auth_views.LogoutView.as_view()

password_reset = auth_views.PasswordResetView.as_view(
    form_class=QueuedPasswordResetForm,
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset_body.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, except that a made-up, used or expired link answers 404, as an
    invitation's or an email change's does: one rule for every emailed link."""

    def render_to_response(self, context, **response_kwargs):
        if not context.get("validlink"):
            response_kwargs["status"] = 404
        return super().render_to_response(context, **response_kwargs)


password_reset_confirm = PasswordResetConfirmView.as_view(
    form_class=NotifyingSetPasswordForm,
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


# --- People (admins) ---------------------------------------------------------------------


def _user_list_context(request: HttpRequest, invite_form: InvitationForm | None = None) -> dict:
    query = request.GET.get("q", "").strip()
    users = User.objects.select_related("manager").order_by("full_name", "email")
    if query:
        users = users.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    emails = OutboundEmail.objects.filter(
        purpose=Concat(Value("invitation:"), Cast(OuterRef("pk"), CharField()))
    )
    invitations = (
        Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .annotate(
            email_sent=Exists(emails.filter(sent_at__isnull=False)),
            email_tries=Subquery(emails.values("attempts")[:1]),
        )
        .order_by("-created_at")
    )
    return {
        "page": page,
        "query": query,
        "invitations": invitations,
        "invite_form": invite_form or InvitationForm(),
    }


@require_http_methods(["GET"])
@role_required(Role.ADMIN)
def user_list(request: HtmxHttpRequest) -> HttpResponse:
    context = _user_list_context(request)
    return render_page(request, "accounts/user_list.html", context, partial="user-rows")


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def invitation_create(request: HtmxHttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                base_url=organization_base_url(),
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:user_list")
    return render_page(
        request, "accounts/user_list.html", _user_list_context(request, form), invalid=True
    )


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    try:
        fresh = services.invitation_resend(
            invitation=invitation, invited_by=request.user, base_url=organization_base_url()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Invitation sent again to {fresh.email}; the earlier link no longer works."
        )
    return redirect("accounts:user_list")


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("accounts:user_list")


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User.objects.select_related("manager"), pk=user_id)
    initial = {
        "full_name": person.full_name,
        "role": person.role,
        "manager": person.manager,
        "time_zone": person.time_zone,
        "team": person.team,
    }
    form = UserEditForm(request.POST or None, initial=initial, user=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=person, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Saved changes to {person}.")
            return redirect("accounts:user_list")
    return render_page(
        request,
        "accounts/user_edit.html",
        {"person": person, "form": form},
        invalid=request.method == "POST",
    )


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def user_set_active(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User.objects.select_related("manager"), pk=user_id)
    active = request.POST.get("active") == "1"
    error_message = ""
    try:
        person = services.user_set_active(user=person, by=request.user, active=active)
    except ValidationError as error:
        error_message = " ".join(error.messages)
    if request.htmx:
        # A refusal answers 400 with the row and its message, which htmx swaps in.
        return render_fragment(
            request,
            "accounts/user_list.html#user-row",
            {"person": person, "row_error": error_message},
            invalid=bool(error_message),
        )
    if error_message:
        messages.error(request, error_message)
    else:
        state = "reactivated" if active else "deactivated"
        messages.success(request, f"{person} {state}.")
    return redirect("accounts:user_list")


# --- Invitation acceptance (anonymous) ---------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_find(token=token)
    if invitation is None or not invitation.is_usable:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            sign_in_complete(
                request, user=user, backend="django.contrib.auth.backends.ModelBackend"
            )
            messages.success(request, f"Welcome to {request.tenant.name}, {user.display_name}.")  # type: ignore[attr-defined]  # django-tenants'
            return redirect(reverse("home"))
    return render_page(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        invalid=request.method == "POST",
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def organization_settings(request: HttpRequest) -> HttpResponse:
    """The tenant's thresholds (review SLA, and those later features add)."""
    form = OrganizationSettingsForm(request.POST or None, instance=OrganizationSettings.current())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("accounts:organization_settings")
    return render_page(
        request,
        "accounts/organization_settings.html",
        {"form": form},
        invalid=bool(form.errors),
    )
