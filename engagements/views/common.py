from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from psops.accounts.models import Role, User
from psops.accounts.permissions import SERVICES_ROLES

PER_PAGE = 25
# Reading an engagement: everyone whose selector lets them see it (sales: only its own deals).
READ_ROLES = (*SERVICES_ROLES, Role.SALES)
EDIT_ROLES = SERVICES_ROLES


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User  # every view here requires a signed-in user


def form_errors_from(form: BaseForm, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form it came from."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None
