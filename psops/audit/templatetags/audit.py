from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from psops.accounts.models import User
from psops.audit.selectors import audit_readable_tables

register = template.Library()


@register.simple_tag
def audit_history_link(user: User, table: str, object_id: int) -> SafeString | str:
    """A link to the object's history on the audit page, for those who may read it."""
    if not user.is_authenticated or table not in audit_readable_tables(user):
        return ""
    url = reverse("audit:audit_list") + "?" + urlencode({"type": table, "object": str(object_id)})
    return format_html('<a class="button secondary" href="{}">History</a>', url)
