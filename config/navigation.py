"""The main navigation: every feature's pages, for the roles that may open them.

It names every app's URLs, so it lives in the composition root; the context
processor hides what a role may not open and marks the current page.
"""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from handoffs.selectors import PACKET_READERS
from psops.accounts.models import Role
from psops.accounts.permissions import ALL_ROLES, SERVICES_ROLES, user_has_role

# (label, URL name, roles that see it). A new feature adds its pages here.
NAVIGATION: list[tuple[str, str, tuple[str, ...]]] = [
    ("Home", "home", ALL_ROLES),
    ("Engagements", "engagements:engagement_list", ALL_ROLES),
    ("Handoffs", "handoffs:packet_list", PACKET_READERS),
    ("Clients", "engagements:client_list", SERVICES_ROLES),
    ("Enablement", "handoffs:report", (Role.LEADER, Role.ADMIN)),
    ("Risks", "risks:risk_list", SERVICES_ROLES),
    ("My follow-ups", "engagements:followups_mine", SERVICES_ROLES),
    ("Timesheet", "capacity:timesheet", SERVICES_ROLES),
    ("Capacity", "capacity:capacity_grid", (Role.LEADER, Role.ADMIN)),
    ("Check-in", "checkins:checkin", ALL_ROLES),
    ("1:1s", "checkins:one_on_one_list", ALL_ROLES),
    ("Pulse", "pulse:pulse", ALL_ROLES),
    ("Users", "accounts:user_list", (Role.ADMIN,)),
    ("API tokens", "handoffs:api_token_list", (Role.ADMIN,)),
    ("KPI targets", "kpis:kpi_targets", (Role.ADMIN,)),
    ("Email delivery", "outbox:outbox_list", (Role.ADMIN,)),
    ("Audit trail", "audit:audit_list", (Role.LEADER, Role.ADMIN)),
    ("Settings", "accounts:organization_settings", (Role.ADMIN,)),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or tenant.is_public or user is None or not user.is_authenticated:
        return {"navigation": []}
    current = request.path
    items = []
    for label, url_name, roles in NAVIGATION:
        if not user_has_role(user, *roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": False})
    # The current page belongs to the longest matching entry (/handoffs/report/ is
    # "Enablement", not also "Handoffs").
    matches = [
        i
        for i in items
        if current == i["url"] or (i["url"] != "/" and current.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return {"navigation": items, "organization": tenant}
