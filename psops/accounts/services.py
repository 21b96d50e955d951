"""Writes about people: invitations, roles, activation, password setup links."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from psops.accounts.emails import email_normalize
from psops.accounts.models import Invitation, Role, User
from psops.mail import email_send_after_commit


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
    if new_manager_id != locked.manager_id:
        locked.manager_since = timezone.now() if manager is not None else None
    locked.role = role
    locked.manager = manager
    locked.time_zone = time_zone
    locked.full_name = full_name.strip()
    locked.team = team.strip()
    locked.save(
        update_fields=["role", "manager", "manager_since", "time_zone", "full_name", "team"]
    )
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
    locked.is_active = active
    locked.save(update_fields=["is_active"])
    return locked


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
