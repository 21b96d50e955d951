"""Reads shared by views and tasks, narrowed to what a user may see and shaped to avoid N+1."""

from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from engagements.models import (
    Activity,
    Client,
    Engagement,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from psops.accounts.models import Role, User
from psops.accounts.permissions import SERVICES_ROLES, user_has_role

TIMELINE_LIMIT = 50


def user_can_edit_engagements(user: User) -> bool:
    return user_has_role(user, *SERVICES_ROLES)


def engagements_visible_to(user: User) -> QuerySet[Engagement]:
    """Services roles see every engagement; sales only those sold through their own handoffs."""
    if user_has_role(user, *SERVICES_ROLES):
        return Engagement.objects.all()
    if user_has_role(user, Role.SALES):
        return Engagement.objects.filter(sold_by=user)
    return Engagement.objects.none()


def _count_subquery(queryset: QuerySet, outer_field: str = "pk") -> Coalesce:
    counted = (
        queryset.filter(engagement=OuterRef(outer_field))
        .order_by()
        .values("engagement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def engagement_list(
    *,
    user: User,
    kind: str = "",
    status: str = "",
    lead_id: int | None = None,
    client_id: int | None = None,
    today: date | None = None,
) -> QuerySet[Engagement]:
    today = today or timezone.localdate()
    engagements = engagements_visible_to(user).select_related("client", "lead")
    if kind:
        engagements = engagements.filter(kind=kind)
    if status:
        engagements = engagements.filter(status=status)
    if lead_id:
        engagements = engagements.filter(lead_id=lead_id)
    if client_id:
        engagements = engagements.filter(client_id=client_id)
    return engagements.annotate(
        open_pain_points=_count_subquery(
            PainPoint.objects.filter(status__in=PainPoint.OPEN_STATUSES)
        ),
        overdue_followups=_count_subquery(
            FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_on__lt=today)
        ),
    ).order_by("client__name", "name")


def engagement_get(*, user: User, engagement_id: int) -> Engagement:
    """The engagement if this user may see it, else 404: not found and not yours look alike."""
    return get_object_or_404(
        engagements_visible_to(user).select_related("client", "lead", "sold_by"),
        pk=engagement_id,
    )


def engagement_sections(*, engagement: Engagement) -> dict:
    """Everything the engagement page shows, each in one query."""
    stakeholder_names = Prefetch(
        "affected_stakeholders", queryset=Stakeholder.objects.order_by("name")
    )
    return {
        "team": list(engagement.team.order_by("full_name", "email")),
        "pain_points": list(
            engagement.pain_points.select_related("identified_by").prefetch_related(
                stakeholder_names
            )
        ),
        "recommendations": list(engagement.recommendations.select_related("pain_point")),
        "followups": list(
            engagement.followups.select_related("owner", "stakeholder").order_by(
                "status", "due_on", "id"
            )
        ),
        "stakeholders": list(engagement.stakeholders.order_by("name")),
        "escalations": list(
            engagement.escalations.select_related("raised_by").prefetch_related(stakeholder_names)
        ),
        "timeline": engagement_timeline(engagement=engagement),
    }


def engagement_timeline(*, engagement: Engagement, limit: int = TIMELINE_LIMIT) -> list[Activity]:
    return list(engagement.activities.select_related("actor")[:limit])


def pain_point_get(*, user: User, pain_point_id: int) -> PainPoint:
    return get_object_or_404(
        PainPoint.objects.filter(engagement__in=engagements_visible_to(user))
        .select_related("engagement__client", "identified_by")
        .prefetch_related("affected_stakeholders", "recommendations"),
        pk=pain_point_id,
    )


def recommendation_get(*, user: User, recommendation_id: int) -> Recommendation:
    return get_object_or_404(
        Recommendation.objects.filter(engagement__in=engagements_visible_to(user)).select_related(
            "engagement__client", "pain_point"
        ),
        pk=recommendation_id,
    )


def followup_get(*, user: User, followup_id: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.filter(engagement__in=engagements_visible_to(user)).select_related(
            "engagement__client", "owner", "stakeholder"
        ),
        pk=followup_id,
    )


def escalation_get(*, user: User, escalation_id: int) -> Escalation:
    return get_object_or_404(
        Escalation.objects.filter(engagement__in=engagements_visible_to(user)).select_related(
            "engagement__client"
        ),
        pk=escalation_id,
    )


def followups_mine(*, user: User) -> QuerySet[FollowUp]:
    """The user's open follow-ups, overdue (earliest due) first."""
    return (
        FollowUp.objects.filter(owner=user, status=FollowUp.Status.OPEN)
        .select_related("engagement__client", "stakeholder")
        .order_by("due_on", "id")
    )


def client_list(*, query: str = "") -> QuerySet[Client]:
    clients = Client.objects.all()
    if query:
        clients = clients.filter(Q(name__icontains=query) | Q(industry__icontains=query))
    engagement_counts = (
        Engagement.objects.filter(client=OuterRef("pk"))
        .exclude(status=Engagement.Status.CLOSED)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_pain_points = (
        PainPoint.objects.filter(
            engagement__client=OuterRef("pk"), status__in=PainPoint.OPEN_STATUSES
        )
        .order_by()
        .values("engagement__client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return clients.annotate(
        open_engagements=Coalesce(Subquery(engagement_counts, output_field=IntegerField()), 0),
        open_pain_points=Coalesce(Subquery(open_pain_points, output_field=IntegerField()), 0),
    ).order_by("name")


def client_find_by_name(*, name: str) -> Client | None:
    """The client of this name, regardless of case and surrounding spaces."""
    return Client.objects.filter(name__iexact=name.strip()).first()


def client_sections(*, client: Client) -> dict:
    return {
        "engagements": list(client.engagements.select_related("lead").order_by("status", "name")),
        "stakeholders": list(client.stakeholders.prefetch_related("engagements")),
        "open_pain_points": list(
            PainPoint.objects.filter(engagement__client=client, status__in=PainPoint.OPEN_STATUSES)
            .select_related("engagement")
            .order_by("-identified_on")
        ),
    }


def lead_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role=Role.SALES).order_by("full_name")
