import uuid

from django import template
from django.utils.html import format_html

from psops.submissions.guard import TOKEN_FIELD

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """A hidden field with a token new at each rendering: put it in every creating form."""
    return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, uuid.uuid4())
