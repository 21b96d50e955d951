"""Who may open and post what, for every page in engagements/urls.py.

Leaders, consultants and admins read and write everything. Sales reads only the
engagements it sold (the list, the page, its timeline and its pain points), gets
403 on everything else and 404 for engagements it did not sell. Anonymous people
are sent to sign in. A refused POST changes nothing.
"""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from engagements.models import (
    Activity,
    Client,
    Engagement,
    EngagementReset,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from engagements.urls import urlpatterns
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

pytestmark = pytest.mark.django_db

WRITERS = [Role.LEADER, Role.CONSULTANT, Role.ADMIN]
TODAY = timezone.localdate()

# What sales gets when it asks for a page (about an engagement it sold, where the
# page is about one).
FORBIDDEN = "403"
OWN_ONLY = "own only"

# URL name: (object whose id is in the URL, methods, what sales gets)
MATRIX = {
    "client_list":           (None,             "GET",      FORBIDDEN),
    "client_create":         (None,             "GET POST", FORBIDDEN),
    "client_detail":         ("client",         "GET",      FORBIDDEN),
    "client_edit":           ("client",         "GET POST", FORBIDDEN),
    "stakeholder_create":    ("client",         "GET POST", FORBIDDEN),
    "stakeholder_edit":      ("stakeholder",    "GET POST", FORBIDDEN),
    "engagement_list":       (None,             "GET",      OWN_ONLY),
    "engagement_create":     (None,             "GET POST", FORBIDDEN),
    "engagement_detail":     ("engagement",     "GET",      OWN_ONLY),
    "engagement_edit":       ("engagement",     "GET POST", FORBIDDEN),
    "engagement_reset":      ("engagement",     "GET POST", FORBIDDEN),
    "engagement_timeline":   ("engagement",     "GET",      OWN_ONLY),
    "engagement_note_add":   ("engagement",     "POST",     FORBIDDEN),
    "pain_point_quick_log":  ("engagement",     "POST",     FORBIDDEN),
    "pain_point_create":     ("engagement",     "GET POST", FORBIDDEN),
    "pain_point_detail":     ("pain_point",     "GET",      OWN_ONLY),
    "pain_point_edit":       ("pain_point",     "GET POST", FORBIDDEN),
    "recommendation_create": ("engagement",     "GET POST", FORBIDDEN),
    "recommendation_edit":   ("recommendation", "GET POST", FORBIDDEN),
    "recommendation_decide": ("recommendation", "GET POST", FORBIDDEN),
    "followup_create":       ("engagement",     "GET POST", FORBIDDEN),
    "followups_mine":        (None,             "GET",      FORBIDDEN),
    "followup_done":         ("followup",       "POST",     FORBIDDEN),
    "followup_cancel":       ("followup",       "POST",     FORBIDDEN),
    "escalation_create":     ("engagement",     "GET POST", FORBIDDEN),
    "escalation_status":     ("escalation",     "POST",     FORBIDDEN),
}  # fmt: skip

GET_PAGES = [name for name, (_, methods, _) in MATRIX.items() if "GET" in methods]
POST_PAGES = [name for name, (_, methods, _) in MATRIX.items() if "POST" in methods]
SALES_FORBIDDEN = [
    (name, method)
    for name, (_, methods, sales) in MATRIX.items()
    if sales == FORBIDDEN
    for method in methods.split()
]
SALES_OWN_ONLY = [name for name, (_, _, sales) in MATRIX.items() if sales == OWN_ONLY]
EVERY_REQUEST = [
    (name, method) for name, (_, methods, _) in MATRIX.items() for method in methods.split()
]


@dataclass
class World:
    """One engagement sold by ``sales`` with one of everything on it, and one it did not sell."""

    lead: object
    client: Client
    engagement: Engagement
    stakeholder: Stakeholder
    pain_point: PainPoint
    recommendation: Recommendation
    followup: FollowUp
    escalation: Escalation
    other_engagement: Engagement
    other_pain_point: PainPoint


@pytest.fixture
def world(make_user, sales):
    lead = make_user(Role.CONSULTANT, full_name="Lee Lead")
    client = ClientFactory(name="Initrode")
    engagement = EngagementFactory(client=client, name="Sold rollout", lead=lead, sold_by=sales)
    stakeholder = StakeholderFactory(
        client=client, name="Sam Sponsor", affected="medium", engagements=[engagement]
    )
    other = EngagementFactory(client=client, name="Unsold project", lead=lead, sold_by=None)
    return World(
        lead=lead,
        client=client,
        engagement=engagement,
        stakeholder=stakeholder,
        pain_point=PainPointFactory(engagement=engagement, title="Slow exports"),
        recommendation=RecommendationFactory(engagement=engagement, title="Add an index"),
        followup=FollowUpFactory(engagement=engagement, owner=lead, title="Send the recap"),
        escalation=EscalationFactory(engagement=engagement, title="Go-live at risk"),
        other_engagement=other,
        other_pain_point=PainPointFactory(engagement=other, title="Hidden pain"),
    )


def url_of(name: str, world: World) -> str:
    target = MATRIX[name][0]
    args = [getattr(world, target).pk] if target else []
    return reverse(f"engagements:{name}", args=args)


def snapshot() -> dict:
    """Every row of every engagements table (through tables included), to compare."""
    config = apps.get_app_config("engagements")
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in config.get_models(include_auto_created=True)
    }


# --- A valid POST for each form, and how to see that it took effect -------------------


def _engagement_data(world: World, **changes) -> dict:
    engagement = world.engagement
    data = {
        "client": engagement.client_id,
        "name": engagement.name,
        "kind": engagement.kind,
        "status": engagement.status,
        "start_date": engagement.start_date.isoformat(),
        "target_end_date": engagement.target_end_date.isoformat(),
        "lead": world.lead.pk,
        "team": [],
        "budget_hours": "400",
    }
    return data | changes


def _stakeholder_data(world: World, **changes) -> dict:
    data = {
        "name": "Pat Person",
        "title": "CTO",
        "email": "pat@initrode.test",
        "role": Stakeholder.Role.DECISION_MAKER,
        "influence": "high",
        "affected": "low",
        "preferred_channel": Stakeholder.Channel.CALL,
        "time_zone": "UTC",
        "engagements": [world.engagement.pk],
    }
    return data | changes


def _pain_point_data(**changes) -> dict:
    data = {
        "title": "Reports time out",
        "description": "",
        "category": PainPoint.Category.PERFORMANCE,
        "severity": "high",
        "status": PainPoint.Status.OPEN,
        "identified_on": TODAY.isoformat(),
        "resolution": "",
    }
    return data | changes


VALID_POSTS = {
    "client_create": (
        lambda w: {"name": "Hooli", "industry": "Tech", "segment": "", "notes": ""},
        lambda w: Client.objects.filter(name="Hooli").exists(),
    ),
    "client_edit": (
        lambda w: {"name": "Initrode Global", "industry": "", "segment": "", "notes": ""},
        lambda w: Client.objects.get(pk=w.client.pk).name == "Initrode Global",
    ),
    "stakeholder_create": (
        lambda w: _stakeholder_data(w),
        lambda w: Stakeholder.objects.filter(name="Pat Person", client=w.client).exists(),
    ),
    "stakeholder_edit": (
        lambda w: _stakeholder_data(w, name="Sam Renamed"),
        lambda w: Stakeholder.objects.get(pk=w.stakeholder.pk).name == "Sam Renamed",
    ),
    "engagement_create": (
        lambda w: _engagement_data(w, name="Brand new project", status="planned"),
        lambda w: Engagement.objects.filter(name="Brand new project").exists(),
    ),
    "engagement_edit": (
        lambda w: _engagement_data(w, status=Engagement.Status.ON_HOLD),
        lambda w: Engagement.objects.get(pk=w.engagement.pk).status == "on_hold",
    ),
    "engagement_reset": (
        lambda w: {
            "new_target_end_date": (TODAY + datetime.timedelta(days=120)).isoformat(),
            "expectations": "Weekly steering from now on.",
        },
        lambda w: EngagementReset.objects.filter(engagement=w.engagement).exists(),
    ),
    "engagement_note_add": (
        lambda w: {"kind": Activity.Kind.NOTE, "body": "Sponsor is happy."},
        lambda w: Activity.objects.filter(body="Sponsor is happy.").exists(),
    ),
    "pain_point_quick_log": (
        lambda w: {"title": "Quick pain", "category": "process", "severity": "low"},
        lambda w: PainPoint.objects.filter(title="Quick pain", engagement=w.engagement).exists(),
    ),
    "pain_point_create": (
        lambda w: _pain_point_data(),
        lambda w: PainPoint.objects.filter(
            title="Reports time out", engagement=w.engagement
        ).exists(),
    ),
    "pain_point_edit": (
        lambda w: _pain_point_data(title="Slow exports, renamed"),
        lambda w: PainPoint.objects.get(pk=w.pain_point.pk).title == "Slow exports, renamed",
    ),
    "recommendation_create": (
        lambda w: {"title": "Cache it", "rationale": "", "proposed_on": TODAY.isoformat()},
        lambda w: Recommendation.objects.filter(title="Cache it").exists(),
    ),
    "recommendation_edit": (
        lambda w: {"title": "Add two indexes", "rationale": "", "proposed_on": TODAY.isoformat()},
        lambda w: Recommendation.objects.get(pk=w.recommendation.pk).title == "Add two indexes",
    ),
    "recommendation_decide": (
        lambda w: {"status": "accepted", "decided_by_name": "Dana", "decided_by_role": "CIO"},
        lambda w: Recommendation.objects.get(pk=w.recommendation.pk).status == "accepted",
    ),
    "followup_create": (
        lambda w: {
            "title": "Call the sponsor",
            "owner": w.lead.pk,
            "due_on": TODAY.isoformat(),
            "channel": FollowUp.Channel.EMAIL,
        },
        lambda w: FollowUp.objects.filter(title="Call the sponsor").exists(),
    ),
    "followup_done": (
        lambda w: {},
        lambda w: FollowUp.objects.get(pk=w.followup.pk).status == "done",
    ),
    "followup_cancel": (
        lambda w: {},
        lambda w: FollowUp.objects.get(pk=w.followup.pk).status == "cancelled",
    ),
    "escalation_create": (
        lambda w: {"title": "Data loss", "severity": "critical", "description": ""},
        lambda w: Escalation.objects.filter(title="Data loss").exists(),
    ),
    "escalation_status": (
        lambda w: {"status": Escalation.Status.MITIGATING},
        lambda w: Escalation.objects.get(pk=w.escalation.pk).status == "mitigating",
    ),
}


class TestTheMatrix:
    def test_it_lists_every_url_of_the_app(self):
        assert set(MATRIX) == {pattern.name for pattern in urlpatterns}
        assert set(VALID_POSTS) == set(POST_PAGES)

    @pytest.mark.parametrize(
        ("name", "method"),
        [(name, "POST") for name in GET_PAGES if name not in POST_PAGES]
        + [(name, "GET") for name in POST_PAGES if name not in GET_PAGES],
    )
    def test_a_method_outside_the_matrix_is_refused(self, client_for, leader, world, name, method):
        client = client_for(leader)
        before = snapshot()

        response = getattr(client, method.lower())(url_of(name, world))

        assert response.status_code == 405
        assert snapshot() == before


class TestWriters:
    @pytest.mark.parametrize("role", WRITERS)
    @pytest.mark.parametrize("name", GET_PAGES)
    def test_open_every_page(self, client_for, make_user, world, role, name):
        response = client_for(make_user(role)).get(url_of(name, world))

        assert response.status_code == 200

    @pytest.mark.parametrize("role", WRITERS)
    @pytest.mark.parametrize("name", POST_PAGES)
    def test_post_every_form(self, client_for, make_user, world, role, name):
        data, took_effect = VALID_POSTS[name]
        assert not took_effect(world)

        response = client_for(make_user(role)).post(url_of(name, world), data(world))

        assert response.status_code == 302, form_errors(response)
        assert took_effect(world)

    @pytest.mark.parametrize("role", WRITERS)
    def test_see_every_engagement_in_the_list(self, client_for, make_user, world, role):
        page = client_for(make_user(role)).get(reverse("engagements:engagement_list"))

        assert "Sold rollout" in page.content.decode()
        assert "Unsold project" in page.content.decode()


class TestSales:
    @pytest.mark.parametrize(("name", "method"), SALES_FORBIDDEN)
    def test_gets_403_and_changes_nothing(self, client_for, sales, world, name, method):
        client = client_for(sales)
        data = VALID_POSTS[name][0](world) if method == "POST" else None
        before = snapshot()

        response = getattr(client, method.lower())(url_of(name, world), data)

        assert response.status_code == 403
        assert snapshot() == before

    @pytest.mark.parametrize("name", SALES_OWN_ONLY)
    def test_reads_what_it_sold(self, client_for, sales, world, name):
        response = client_for(sales).get(url_of(name, world))

        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("name", "other"),
        [
            ("engagement_detail", "other_engagement"),
            ("engagement_timeline", "other_engagement"),
            ("pain_point_detail", "other_pain_point"),
        ],
    )
    def test_gets_404_for_what_it_did_not_sell(self, client_for, sales, world, name, other):
        url = reverse(f"engagements:{name}", args=[getattr(world, other).pk])

        assert client_for(sales).get(url).status_code == 404

    def test_gets_404_for_an_engagement_another_sales_rep_sold(
        self, client_for, sales, make_user, world
    ):
        theirs = EngagementFactory(sold_by=make_user(Role.SALES), name="Their deal")

        response = client_for(sales).get(theirs.get_absolute_url())

        assert response.status_code == 404

    def test_the_list_shows_only_what_it_sold(self, client_for, sales, make_user, world):
        EngagementFactory(sold_by=make_user(Role.SALES), name="Their deal")
        EngagementFactory(sold_by=sales, name="Success deal", kind=Engagement.Kind.SUCCESS)

        response = client_for(sales).get(reverse("engagements:engagement_list"))

        page = response.content.decode()
        assert response.status_code == 200
        assert "Sold rollout" in page
        assert "Success deal" in page
        assert "Unsold project" not in page
        assert "Their deal" not in page
        assert "New engagement" not in page

    def test_the_engagement_page_is_read_only(self, client_for, sales, world):
        response = client_for(sales).get(world.engagement.get_absolute_url())

        main = main_content(response)
        assert response.status_code == 200
        # Everything on the engagement is shown...
        for title in ("Slow exports", "Add an index", "Send the recap", "Go-live at risk"):
            assert title in main
        assert "Sam Sponsor" in main
        # ...and nothing on it can be changed.
        assert "<form" not in main
        assert not edit_links(main), edit_links(main)
        assert "Mark done" not in main
        assert "Record decision" not in main

    def test_the_pain_point_page_is_read_only(self, client_for, sales, world):
        response = client_for(sales).get(world.pain_point.get_absolute_url())

        main = main_content(response)
        assert response.status_code == 200
        assert "Slow exports" in main
        assert "<form" not in main
        assert not edit_links(main), edit_links(main)

    def test_the_timeline_has_no_note_form(self, client_for, sales, world):
        response = client_for(sales).get(url_of("engagement_timeline", world))

        assert response.status_code == 200
        assert "Timeline" in response.content.decode()
        assert "<form" not in response.content.decode()

    def test_the_menu_offers_only_the_engagements(self, client_for, sales, world):
        page = client_for(sales).get(reverse("engagements:engagement_list")).content.decode()

        assert f'href="{reverse("engagements:engagement_list")}"' in page
        assert f'href="{reverse("engagements:client_list")}"' not in page
        assert f'href="{reverse("engagements:followups_mine")}"' not in page


class TestAnonymous:
    @pytest.mark.parametrize(("name", "method"), EVERY_REQUEST)
    def test_is_sent_to_sign_in_and_changes_nothing(self, anonymous_client, world, name, method):
        url = url_of(name, world)
        data = VALID_POSTS[name][0](world) if method == "POST" else None
        before = snapshot()

        response = getattr(anonymous_client, method.lower())(url, data)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login") + "?next=")
        assert snapshot() == before


def form_errors(response) -> dict:
    form = response.context.get("form") if response.context else None
    return dict(form.errors) if form else {}


def main_content(response) -> str:
    """The page's own content, without the top bar (which has the sign-out form)."""
    page = response.content.decode()
    return page[page.index('<main id="main"') : page.index("</main>")]


EDITING_URL = re.compile(
    r'href="[^"]*/(edit|new|reset|decide|done|cancel|status|notes|quick)/[^"]*"|href="/clients/'
)


def edit_links(html: str) -> list[str]:
    return [match.group(0) for match in EDITING_URL.finditer(html)]
