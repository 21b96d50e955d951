"""Reading risks for people (the scans that find them are ``health.risks.scans``).

A private risk (``private_to`` set, e.g. overload) is shown to its own person only:
every query here that serves a shared page excludes private risks altogether, and a
person's own list adds only the private risks that are theirs.
"""

from dataclasses import dataclass

from django.db.models import CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.shortcuts import get_object_or_404

from engagements.models import Engagement
from health.models import Risk
from psops.accounts.models import Role, User
from psops.accounts.permissions import SERVICES_ROLES, user_has_role

# Most severe first wherever risks are listed.
# Most severe first, then the latest seen (Risk.severity_rank, indexed).
SEVERITY_ORDER = ("severity_rank", "-last_seen", "-id")
DASHBOARD_LIMIT = 10


def risks_shared() -> QuerySet[Risk]:
    """Risks anyone entitled to see their subject may see: never a private one."""
    return Risk.objects.filter(private_to__isnull=True)


def risks_visible_to(user: User) -> QuerySet[Risk]:
    """Leaders and admins see every shared risk; consultants those of engagements they
    lead or are on the team of, and their reports' over-allocation; everyone also sees
    the private risks that are their own."""
    own_private = Q(private_to=user)
    if user_has_role(user, Role.LEADER, Role.ADMIN):
        shared = Q(private_to__isnull=True)
    elif user_has_role(user, Role.CONSULTANT):
        # A subquery, not a join through the team, so that no risk is listed twice.
        theirs = Engagement.objects.filter(Q(lead=user) | Q(team=user)).values("pk")
        # A manager also sees their reports' over-allocation (subject "user:<id>").
        reports = (
            User.objects.filter(manager=user)
            .annotate(key=Concat(Value("user:"), Cast("pk", CharField())))
            .values("key")
        )
        shared = Q(private_to__isnull=True, engagement__in=theirs) | Q(
            private_to__isnull=True, kind=Risk.Kind.OVER_ALLOCATION, subject_key__in=reports
        )
    else:
        return Risk.objects.none()
    return Risk.objects.filter(shared | own_private)


def risk_list(
    *, user: User, kind: str = "", severity: str = "", status: str = ""
) -> QuerySet[Risk]:
    risks = risks_visible_to(user)
    if kind:
        risks = risks.filter(kind=kind)
    if severity:
        risks = risks.filter(severity=severity)
    if status:
        risks = risks.filter(status=status)
    return risks.select_related("engagement__client", "acknowledged_by").order_by(*SEVERITY_ORDER)


def risk_get(*, user: User, risk_id: int) -> Risk:
    """The risk if this user may see it, else 404."""
    return get_object_or_404(
        risks_visible_to(user).select_related("engagement__client", "acknowledged_by"),
        pk=risk_id,
    )


@dataclass(frozen=True)
class DashboardRisks:
    """The dashboard's risks: new ones (not acknowledged yet) apart from acknowledged ones,
    each most severe first, at most ``limit`` of each, with how many there are in all."""

    new: list[Risk]
    new_count: int
    acknowledged: list[Risk]
    acknowledged_count: int

    @property
    def count(self) -> int:
        return self.new_count + self.acknowledged_count


def open_risks_for_dashboard(
    *, limit: int = DASHBOARD_LIMIT, lead_id: int | None = None, kind: str = ""
) -> DashboardRisks:
    """Unresolved shared risks, new apart from acknowledged (four queries).

    With the dashboard's lead or kind filter, only risks of engagements of that lead or
    kind: a risk tied to no engagement (a stuck handoff review) then is not counted."""
    unresolved = risks_shared().exclude(status=Risk.Status.RESOLVED)
    if lead_id or kind:
        unresolved = unresolved.filter(engagement__isnull=False)
    if lead_id:
        unresolved = unresolved.filter(engagement__lead_id=lead_id)
    if kind:
        unresolved = unresolved.filter(engagement__kind=kind)

    def first(status: str) -> list[Risk]:
        return list(
            unresolved.filter(status=status)
            .select_related("engagement__client", "acknowledged_by")
            .order_by(*SEVERITY_ORDER)[:limit]
        )

    counts = unresolved.aggregate(
        new=Count("id", filter=Q(status=Risk.Status.OPEN)),
        acknowledged=Count("id", filter=Q(status=Risk.Status.ACKNOWLEDGED)),
    )
    return DashboardRisks(
        new=first(Risk.Status.OPEN),
        new_count=counts["new"],
        acknowledged=first(Risk.Status.ACKNOWLEDGED),
        acknowledged_count=counts["acknowledged"],
    )


def risks_of_engagement(*, engagement: Engagement) -> list[Risk]:
    """The engagement page's risks: unresolved and shared (never someone's overload)."""
    return list(
        risks_shared()
        .filter(engagement=engagement)
        .exclude(status=Risk.Status.RESOLVED)
        .select_related("engagement__client", "acknowledged_by")
        .order_by(*SEVERITY_ORDER)
    )


def engagement_risk_panel(user: User, engagement: Engagement) -> dict | None:
    """The engagement page's risk panel (``engagements.panels``), for services only."""
    if not user_has_role(user, *SERVICES_ROLES):
        return None
    return {"risks": risks_of_engagement(engagement=engagement)}
