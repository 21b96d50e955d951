"""The one role check every view uses.

    @role_required(Role.LEADER, Role.ADMIN)
    def kpi_targets(request): ...

Anonymous users are sent to sign in; a signed-in user without one of the roles
gets 403. Templates and services ask ``user_has_role`` instead of comparing
role strings themselves.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied

from psops.accounts.models import Role

# Roles that do delivery work: everyone but sales.
SERVICES_ROLES = (Role.LEADER, Role.CONSULTANT, Role.ADMIN)
ALL_ROLES = tuple(Role)


def user_has_role(user, *roles: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def role_required(*roles: str) -> Callable:
    if not roles:
        raise ValueError("role_required needs at least one role")
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorator(view: Callable) -> Callable:
        # An inactive user is sent to sign in like an anonymous one, whatever the
        # authentication backend lets through (login_required checks only
        # is_authenticated, and a 403 would wrongly blame their role).
        @wraps(view)
        @user_passes_test(lambda user: user.is_authenticated and user.is_active)
        def wrapped(request, *args, **kwargs):
            if not user_has_role(request.user, *roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
