"""Forms validate, services act: a service's ``ValidationError`` goes back onto its form."""

from django.core.exceptions import ValidationError
from django.forms import BaseForm


def form_errors_from(form: BaseForm, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form it came from.

    Messages for a field the form has go on that field; any other goes to the form's
    non-field errors, so nothing a service refused is ever silently dropped.
    """
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def int_or_none(value: str | None) -> int | None:
    """A query-string id, or None when it is missing or not a number."""
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None
