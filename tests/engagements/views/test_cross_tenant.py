"""An id from another organization is 404 on this organization's host, and changes nothing.

Every record is created in globex's schema with an id that acme does not have, then
asked for on acme's host by an acme leader. Without that explicit id the test could
pass by luck: ids are per schema, so a small id made in globex may well exist in acme.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from engagements.models import (
    Client,
    Engagement,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from psops.accounts.models import Role
from tests.engagements.factories import (
    ClientFactory,
    EngagementFactory,
    EscalationFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
    StakeholderFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GLOBEX_ONLY_ID = 987_654_321
TODAY = timezone.localdate()


@dataclass
class GlobexRecords:
    client: Client
    engagement: Engagement
    stakeholder: Stakeholder
    pain_point: PainPoint
    recommendation: Recommendation
    followup: FollowUp
    escalation: Escalation
    leader: object


@pytest.fixture
def globex(tenant, other_tenant) -> GlobexRecords:
    connection.set_tenant(other_tenant)
    try:
        lead = UserFactory(role=Role.LEADER, email="lead@globex.test", full_name="Gus Globex")
        client = ClientFactory(pk=GLOBEX_ONLY_ID, name="Globex Client")
        engagement = EngagementFactory(
            pk=GLOBEX_ONLY_ID, client=client, name="Globex rollout", lead=lead
        )
        records = GlobexRecords(
            client=client,
            engagement=engagement,
            stakeholder=StakeholderFactory(
                pk=GLOBEX_ONLY_ID, client=client, name="Gina Globex", engagements=[engagement]
            ),
            pain_point=PainPointFactory(pk=GLOBEX_ONLY_ID, engagement=engagement),
            recommendation=RecommendationFactory(pk=GLOBEX_ONLY_ID, engagement=engagement),
            followup=FollowUpFactory(pk=GLOBEX_ONLY_ID, engagement=engagement, owner=lead),
            escalation=EscalationFactory(pk=GLOBEX_ONLY_ID, engagement=engagement),
            leader=lead,
        )
    finally:
        connection.set_tenant(tenant)
    return records


STAKEHOLDER = {
    "name": "Taken over",
    "role": "sponsor",
    "influence": "high",
    "affected": "high",
    "preferred_channel": "email",
    "time_zone": "UTC",
}
PAIN_POINT = {
    "title": "Taken over",
    "category": "other",
    "severity": "low",
    "status": "resolved",
    "identified_on": "2026-01-01",
}

# URL name: (globex record whose id is in the URL, methods)
ID_URLS = {
    "client_detail":         ("client",         "GET"),
    "client_edit":           ("client",         "GET POST"),
    "stakeholder_create":    ("client",         "GET POST"),
    "stakeholder_edit":      ("stakeholder",    "GET POST"),
    "engagement_detail":     ("engagement",     "GET"),
    "engagement_edit":       ("engagement",     "GET POST"),
    "engagement_reset":      ("engagement",     "GET POST"),
    "engagement_timeline":   ("engagement",     "GET"),
    "engagement_note_add":   ("engagement",     "POST"),
    "pain_point_quick_log":  ("engagement",     "POST"),
    "pain_point_create":     ("engagement",     "GET POST"),
    "pain_point_detail":     ("pain_point",     "GET"),
    "pain_point_edit":       ("pain_point",     "GET POST"),
    "recommendation_create": ("engagement",     "GET POST"),
    "recommendation_edit":   ("recommendation", "GET POST"),
    "recommendation_decide": ("recommendation", "GET POST"),
    "followup_create":       ("engagement",     "GET POST"),
    "followup_done":         ("followup",       "POST"),
    "followup_cancel":       ("followup",       "POST"),
    "escalation_create":     ("engagement",     "GET POST"),
    "escalation_status":     ("escalation",     "POST"),
}  # fmt: skip

# What each POST carries: forms that would change the globex record if they got through.
POSTED = {
    "client_edit": {"name": "Taken over"},
    "stakeholder_create": STAKEHOLDER,
    "stakeholder_edit": STAKEHOLDER,
    "engagement_edit": {"name": "Taken over", "status": "closed"},
    "engagement_reset": {"new_target_end_date": "2030-01-01", "expectations": "Ours now."},
    "engagement_note_add": {"kind": "note", "body": "Sneaky note"},
    "pain_point_quick_log": PAIN_POINT | {"status": "open"},
    "pain_point_create": PAIN_POINT | {"status": "open"},
    "pain_point_edit": PAIN_POINT,
    "recommendation_create": {"title": "Sneaky", "proposed_on": "2026-01-01"},
    "recommendation_edit": {"title": "Taken over", "proposed_on": "2026-01-01"},
    "recommendation_decide": {"status": "declined", "decision_reason": "Because."},
    "followup_create": {"title": "Sneaky", "due_on": "2026-01-01", "channel": "email"},
    "followup_done": {},
    "followup_cancel": {},
    "escalation_create": {"title": "Sneaky", "severity": "low", "confirm_left_out": "True"},
    "escalation_status": {"status": "resolved"},
}

REQUESTS = [(name, method) for name, (_, methods) in ID_URLS.items() for method in methods.split()]


def url_of(name: str, records: GlobexRecords) -> str:
    return reverse(f"engagements:{name}", args=[getattr(records, ID_URLS[name][0]).pk])


def globex_snapshot(tenant, other_tenant) -> dict:
    connection.set_tenant(other_tenant)
    try:
        config = apps.get_app_config("engagements")
        return {
            model._meta.label: list(model._default_manager.order_by("pk").values())
            for model in config.get_models(include_auto_created=True)
        }
    finally:
        connection.set_tenant(tenant)


def test_every_url_with_an_id_is_covered():
    from engagements.urls import urlpatterns

    with_an_id = {pattern.name for pattern in urlpatterns if pattern.pattern.converters}
    assert set(ID_URLS) == with_an_id
    assert set(POSTED) == {name for name, (_, methods) in ID_URLS.items() if "POST" in methods}


@pytest.mark.parametrize(("name", "method"), REQUESTS)
def test_another_organizations_record_is_404_and_stays_as_it_was(
    client_for, leader, tenant, other_tenant, globex, name, method
):
    client = client_for(leader)
    data = POSTED[name] if method == "POST" else None
    before = globex_snapshot(tenant, other_tenant)

    response = getattr(client, method.lower())(url_of(name, globex), data)

    assert response.status_code == 404
    assert globex_snapshot(tenant, other_tenant) == before
    assert connection.schema_name == tenant.schema_name


@pytest.mark.parametrize(
    "name", [name for name, (_, methods) in ID_URLS.items() if "GET" in methods]
)
def test_the_same_urls_work_on_globexs_own_host(client_for, other_tenant, globex, name):
    """The 404s above are about the host, not about records that do not exist."""
    response = client_for(globex.leader, organization=other_tenant).get(url_of(name, globex))

    assert response.status_code == 200


def test_globexs_engagements_are_not_in_acmes_list(client_for, leader, globex):
    EngagementFactory(name="Acme rollout", start_date=TODAY - datetime.timedelta(days=1))

    page = client_for(leader).get(reverse("engagements:engagement_list")).content.decode()

    assert "Acme rollout" in page
    assert "Globex rollout" not in page


def test_globexs_clients_are_not_in_acmes_client_list(client_for, leader, globex):
    ClientFactory(name="Acme Client")

    page = client_for(leader).get(reverse("engagements:client_list")).content.decode()

    assert "Acme Client" in page
    assert "Globex Client" not in page


def test_globexs_follow_ups_are_not_in_my_follow_ups(client_for, leader, globex):
    FollowUpFactory(owner=leader, title="Acme follow-up")

    page = client_for(leader).get(reverse("engagements:followups_mine")).content.decode()

    assert "Acme follow-up" in page
    assert globex.followup.title not in page
