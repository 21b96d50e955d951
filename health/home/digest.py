"""The weekly digest: one email to each active PS leader on Monday morning.

It carries what a leader should look at this week: open risks by kind (never a
private one), overdue follow-ups and the KPIs off target. Each digest is recorded
as the leader's notification with the source key ``digest:<ISO year>-W<week>``, so
a second run in the same week sends nothing (the scheduled job is idempotent).
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse

from engagements.models import FollowUp
from health.home import selectors as dashboards
from health.kpis.base import KpiScope
from health.kpis.tiles import KpiTile, kpi_tiles
from health.models import Risk
from health.risks.selectors import risks_shared
from psops.accounts.models import Notification, Role, User
from psops.mail import email_send_after_commit
from psops.tenancy.services import tenant_base_url, tenant_domain_for


@dataclass
class DigestContent:
    risks_by_kind: list[tuple[str, int]]
    risk_total: int
    overdue_count: int
    overdue: list[FollowUp]
    kpis_off_target: list[KpiTile]


def digest_source_key(*, today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"digest:{year}-W{week:02d}"


def digest_content(*, today: date) -> DigestContent:
    """What every leader's digest says this week (the same for all of them)."""
    counts = dict(
        risks_shared()
        .exclude(status=Risk.Status.RESOLVED)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("kind", "n")
    )
    risks_by_kind = [(label, counts[kind]) for kind, label in Risk.Kind.choices if counts.get(kind)]
    overdue_count, overdue = dashboards.overdue_followups(scope=KpiScope(), today=today)
    tiles = kpi_tiles(as_of=today, scope=KpiScope(), today=today)
    return DigestContent(
        risks_by_kind=risks_by_kind,
        risk_total=sum(counts.values()),
        overdue_count=overdue_count,
        overdue=overdue,
        kpis_off_target=[tile for tile in tiles if tile.status == "off"],
    )


def _base_url() -> str:
    tenant = getattr(connection, "tenant", None)
    slug = getattr(tenant, "slug", "")
    return tenant_base_url(domain=tenant_domain_for(slug=slug)) if slug else ""


def digest_send(*, today: date) -> int:
    """Send this ISO week's digest to each active leader who has not had it yet.

    Returns how many digests were sent. The content is computed once, and only when
    someone is still waiting for this week's digest.
    """
    source_key = digest_source_key(today=today)
    leaders = list(
        User.objects.filter(role=Role.LEADER, is_active=True)
        .exclude(notifications__source_key=source_key)
        .order_by("pk")
    )
    if not leaders:
        return 0
    content = digest_content(today=today)
    year, week, _ = today.isocalendar()
    title = f"Your PS weekly digest, week {week} of {year}"
    base_url = _base_url()
    context = {
        "title": title,
        "content": content,
        "today": today,
        "base_url": base_url,
        "risks_url": base_url + reverse("risks:risk_list"),
        "dashboard_url": base_url + reverse("home"),
    }
    summary = (
        f"{content.risk_total} open risk{'s' if content.risk_total != 1 else ''}, "
        f"{content.overdue_count} overdue follow-up{'s' if content.overdue_count != 1 else ''}, "
        f"{len(content.kpis_off_target)} KPI{'s' if len(content.kpis_off_target) != 1 else ''} "
        "off target."
    )
    sent = 0
    for leader in leaders:
        with transaction.atomic():
            # The notification is the record that this week's digest went out: the
            # unique (recipient, source_key) constraint keeps a concurrent run from
            # sending it twice.
            _, created = Notification.objects.get_or_create(
                recipient=leader,
                source_key=source_key,
                defaults={"title": title, "body": summary, "url": reverse("home")},
            )
            if not created:
                continue
            email_send_after_commit(
                to=[leader.email],
                subject_template="health/home/email/digest_subject.txt",
                body_template="health/home/email/digest_body.txt",
                context={**context, "leader": leader},
            )
            sent += 1
    return sent
