"""Writes about people: invitations, roles, activation, passwords, email changes.

Every change to a person's email address, password, role, manager or activation is
emailed to them from here (``account_change_notify``), whichever path made it: the
people pages, the security page, a password reset, a management command. An email
change is also told to the old address, which is how the owner learns that their
account moved. The emails go through the outbox with the change, so a rolled-back
change tells nobody.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from psops.accounts.emails import email_normalize
from psops.accounts.models import EmailChange, Invitation, Notification, Role, User
from psops.mail import EmailToSend, email_send_after_commit, emails_send_after_commit
from psops.outbox.models import OutboundEmail
from psops.tenancy.services import organization_base_url

# How long both links of an email change work.
EMAIL_CHANGE_VALID_HOURS = 24


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_find(*, token: str) -> Invitation | None:
    """The invitation a link's token belongs to, or None."""
    return (
        Invitation.objects.select_related("invited_by")
        .filter(token_hash=_token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_create(*, email: str, role: str, invited_by: User, base_url: str) -> Invitation:
    """Invite someone by email; they set their own password through the emailed link."""
    email = email_normalize(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this email address already has an account."})
    if Invitation.objects.filter(
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists():
        raise ValidationError(
            {"email": "An invitation to this address is already pending. Revoke it to resend."}
        )
    # An expired pending invitation for the same address is closed first, so the
    # one-pending-per-email constraint keeps its meaning.
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())

    token = secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                email=email,
                role=role,
                invited_by=invited_by,
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
            )
    except IntegrityError as error:  # a concurrent invite to the same address
        raise ValidationError(
            {"email": "An invitation to this address is already pending."}
        ) from error
    email_send_after_commit(
        to=[email],
        subject_template="accounts/email/invitation_subject.txt",
        body_template="accounts/email/invitation_body.txt",
        context={
            "invitation": invitation,
            "inviter": invited_by,
            "accept_url": base_url + reverse("accounts:invitation_accept", args=[token]),
            "valid_days": settings.INVITATION_VALID_DAYS,
        },
        purpose=f"invitation:{invitation.pk}",
    )
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, invited_by: User, base_url: str) -> Invitation:
    """A fresh invitation to the same address and role, whatever became of the email.

    The old link stops working, and its email is withdrawn if it was not sent yet, so
    the person gets one working link. Possible while the invitation is pending, expired
    or not: an email that never arrived can always be sent again.
    """
    current = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if current is None or not current.is_pending:
        raise ValidationError("This invitation was already accepted or revoked.")
    current.revoked_at = timezone.now()
    current.save(update_fields=["revoked_at"])
    # A row the worker is sending right now is locked: the delete waits for it and
    # then leaves it alone, as it is sent by then.
    OutboundEmail.objects.filter(purpose=f"invitation:{current.pk}", sent_at__isnull=True).delete()
    return invitation_create(
        email=current.email, role=current.role, invited_by=invited_by, base_url=base_url
    )


def invitation_revoke(*, invitation: Invitation) -> None:
    if not invitation.is_pending:
        raise ValidationError("This invitation was already accepted or revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str, time_zone: str) -> User:
    """Create the invited person's account and close the invitation."""
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    )
    if invitation is None or not invitation.is_usable:
        raise ValidationError("This invitation link is no longer valid.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError("An account with this email address already exists. Sign in instead.")
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name.strip(),
        role=invitation.role,
        time_zone=time_zone,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user


def _active_admins_excluding(user: User) -> QuerySet[User]:
    return User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk)


@transaction.atomic
def user_update(
    *,
    user: User,
    by: User,
    role: str,
    manager: User | None,
    time_zone: str,
    full_name: str,
    team: str = "",
) -> User:
    """Change a person's role, manager, name or time zone; the last admin keeps their role.

    A new manager gets ``manager_since`` = now (they read the person's check-ins from
    the week it falls in); removing the manager clears it; keeping the same manager
    keeps it.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    demoting_an_admin = locked.role == Role.ADMIN and role != Role.ADMIN and locked.is_active
    if demoting_an_admin and not _active_admins_excluding(locked).exists():
        raise ValidationError({"role": "The organization needs at least one active admin."})
    if manager is not None:
        if manager.pk == locked.pk:
            raise ValidationError({"manager": "A person cannot be their own manager."})
        # Walk up the chain so that nobody ends up managing themselves indirectly.
        seen, current = {locked.pk}, manager
        while current is not None:
            if current.pk in seen:
                raise ValidationError({"manager": "That would make a reporting loop."})
            seen.add(current.pk)
            current = current.manager
    new_manager_id = manager.pk if manager is not None else None
    changes = []
    if role != locked.role:
        changes.append(f"Your role changed from {locked.get_role_display()} to {Role(role).label}.")
    if new_manager_id != locked.manager_id:
        locked.manager_since = timezone.now() if manager is not None else None
        changes.append(
            f"Your manager is now {manager}." if manager else "You no longer have a manager."
        )
    locked.role = role
    locked.manager = manager
    locked.time_zone = time_zone
    locked.full_name = full_name.strip()
    locked.team = team.strip()
    locked.save(
        update_fields=["role", "manager", "manager_since", "time_zone", "full_name", "team"]
    )
    if changes:
        account_change_notify(user=locked, changes=changes, by=by)
    return locked


@transaction.atomic
def user_set_active(*, user: User, by: User, active: bool) -> User:
    """Deactivate (or reactivate) someone; a deactivated person's sessions end at once."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not active:
        if locked.pk == by.pk:
            raise ValidationError("You cannot deactivate your own account.")
        if locked.role == Role.ADMIN and not _active_admins_excluding(locked).exists():
            raise ValidationError("The organization needs at least one active admin.")
    if locked.is_active != active:
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        account_change_notify(
            user=locked,
            changes=[
                "Your account was reactivated: you can sign in again."
                if active
                else "Your account was deactivated: you can no longer sign in."
            ],
            by=by,
        )
    return locked


@transaction.atomic
def user_password_set(*, user: User, password: str, by: User | None = None) -> User:
    """Set a person's password (change, reset, command line) and tell them it changed.

    The caller has validated ``password``. Sessions whose password hash no longer
    matches end at their next request (Django's session auth hash).
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    account_change_notify(user=user, changes=["Your password was changed."], by=by)
    return user


def _security_url() -> str:
    try:
        return organization_base_url() + reverse("accounts:security")
    except ValueError:  # outside an organization's schema (none of the app's own paths)
        return ""


def account_change_notify(
    *,
    user: User,
    changes: list[str],
    by: User | None = None,
    also_to: list[str] | None = None,
) -> None:
    """Email ``user`` (and ``also_to``: an old address) what just changed on their account."""
    changed_by = by if by is not None and by.pk != user.pk else None
    context = {
        "person": user,
        "changes": changes,
        "changed_by": changed_by,
        "security_url": _security_url(),
    }
    recipients = [user.email, *[a for a in also_to or [] if a != user.email]]
    if changed_by is not None:
        # Someone else changed it: the person also finds it among their notifications
        # (the email above is its mirror, so none is sent for it).
        Notification.objects.create(
            recipient=user,
            title=f"{changed_by} changed your account",
            body=" ".join(changes),
            url=reverse("accounts:security"),
            source_key=f"account-change:{secrets.token_hex(8)}",
        )
    emails_send_after_commit(
        [
            EmailToSend(
                to=[address],
                subject_template="accounts/email/account_changed_subject.txt",
                body_template="accounts/email/account_changed_body.txt",
                context=context,
                purpose=f"account-change:{user.pk}",
            )
            for address in recipients
        ]
    )


# --- Changing one's own email address -----------------------------------------------------


def _address_in_use(*, email: str, user: User) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()


@transaction.atomic
def email_change_request(*, user: User, new_email: str) -> EmailChange:
    """Start changing ``user``'s own address: a link to the new address, one to the old.

    Nothing changes until both links are followed (``email_change_confirm``). An
    address another account uses is refused; an open earlier request is cancelled.
    """
    new_email = email_normalize(new_email)
    try:
        validate_email(new_email)
    except ValidationError as error:
        raise ValidationError({"new_email": "Enter a valid email address."}) from error
    locked = User.objects.select_for_update().get(pk=user.pk)
    if new_email == email_normalize(locked.email):
        raise ValidationError({"new_email": "This is already your email address."})
    if _address_in_use(email=new_email, user=locked):
        raise ValidationError({"new_email": "This email address is already in use."})
    now = timezone.now()
    EmailChange.objects.filter(
        user=locked, completed_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    new_token, old_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    change = EmailChange.objects.create(
        user=locked,
        old_email=locked.email,
        new_email=new_email,
        new_token_hash=_token_hash(new_token),
        old_token_hash=_token_hash(old_token),
        created_at=now,
        expires_at=now + timedelta(hours=EMAIL_CHANGE_VALID_HOURS),
    )
    base_url = organization_base_url()
    context = {
        "person": locked,
        "change": change,
        "valid_hours": EMAIL_CHANGE_VALID_HOURS,
        "security_url": base_url + reverse("accounts:security"),
    }

    def link(token: str) -> str:
        return base_url + reverse("accounts:email_change_confirm", args=[token])

    emails_send_after_commit(
        [
            EmailToSend(
                to=[new_email],
                subject_template="accounts/email/email_change_new_subject.txt",
                body_template="accounts/email/email_change_new_body.txt",
                context=context | {"confirm_url": link(new_token)},
                purpose=f"email-change:{change.pk}:new",
            ),
            EmailToSend(
                to=[locked.email],
                subject_template="accounts/email/email_change_old_subject.txt",
                body_template="accounts/email/email_change_old_body.txt",
                context=context | {"confirm_url": link(old_token)},
                purpose=f"email-change:{change.pk}:old",
            ),
        ]
    )
    return change


def email_change_find(*, token: str) -> EmailChange | None:
    """The email change a link's token belongs to (from either address), or None."""
    token_hash = _token_hash(token)
    return (
        EmailChange.objects.select_related("user")
        .filter(Q(new_token_hash=token_hash) | Q(old_token_hash=token_hash))
        .first()
    )


def email_change_side(*, change: EmailChange, token: str) -> str:
    """Which address a link of ``change`` was sent to: "new" or "old"."""
    return "new" if change.new_token_hash == _token_hash(token) else "old"


def email_change_open(*, user: User) -> EmailChange | None:
    """``user``'s email change still waiting for a confirmation, if any."""
    return (
        EmailChange.objects.filter(
            user=user,
            completed_at__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def email_change_confirm(*, token: str) -> EmailChange:
    """Record one address's confirmation; with both, the address changes and both are told."""
    token_hash = _token_hash(token)
    change = (
        EmailChange.objects.select_for_update()
        .filter(Q(new_token_hash=token_hash) | Q(old_token_hash=token_hash))
        .first()
    )
    if change is None or not change.is_usable:
        raise ValidationError("This confirmation link is no longer valid.")
    user = User.objects.select_for_update().get(pk=change.user_id)
    if email_normalize(user.email) != email_normalize(change.old_email):
        # The address changed since this was asked: it no longer applies.
        raise ValidationError("This confirmation link is no longer valid.")
    now = timezone.now()
    if change.new_token_hash == token_hash:
        change.new_confirmed_at = change.new_confirmed_at or now
    else:
        change.old_confirmed_at = change.old_confirmed_at or now
    if change.new_confirmed_at and change.old_confirmed_at:
        if _address_in_use(email=change.new_email, user=user):
            raise ValidationError(
                "Another account took this email address meanwhile; nothing was changed."
            )
        user.email = change.new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError as error:  # the same address taken at the same moment
            raise ValidationError(
                "Another account took this email address meanwhile; nothing was changed."
            ) from error
        change.completed_at = now
        account_change_notify(
            user=user,
            changes=[f"Your email address changed from {change.old_email} to {change.new_email}."],
            also_to=[change.old_email],
        )
    change.save(update_fields=["new_confirmed_at", "old_confirmed_at", "completed_at"])
    change.user = user
    return change


@transaction.atomic
def email_change_cancel(*, user: User) -> int:
    """Cancel ``user``'s open email change, if any (from their security page)."""
    return EmailChange.objects.filter(
        user=user, completed_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())


def password_setup_url(*, user: User, base_url: str) -> str:
    """A one-time link (valid for PASSWORD_RESET_TIMEOUT) for the user to choose a password."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    # Tenant URLs, also when called from the public host (operators provisioning).
    path = reverse(
        "accounts:password_reset_confirm", args=[uidb64, token], urlconf=settings.ROOT_URLCONF
    )
    return base_url + path


def expired_sign_in_records_clear(*, access_log_days: int = 90) -> dict[str, int]:
    """Delete expired sessions and old sign-in logs in the current tenant's schema.

    Idempotent and set-based: each part is one DELETE, and a second run finds nothing.
    """
    from axes.models import AccessFailureLog, AccessLog
    from django.contrib.sessions.models import Session

    now = timezone.now()
    log_cutoff = now - timedelta(days=access_log_days)
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    access_logs, _ = AccessLog.objects.filter(attempt_time__lt=log_cutoff).delete()
    failure_logs, _ = AccessFailureLog.objects.filter(attempt_time__lt=log_cutoff).delete()
    return {"sessions": sessions, "access_logs": access_logs, "failure_logs": failure_logs}
