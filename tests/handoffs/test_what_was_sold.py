"""The people who deliver read what was sold: the packet, read-only, from the engagement."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from handoffs import services
from handoffs.models import CHECKLIST, SCORE_MAX, HandoffReview, Verdict
from handoffs.models import HandoffItem as Item
from psops.accounts.models import Role
from tests.handoffs.factories import HandoffItemFactory, HandoffPacketFactory

pytestmark = pytest.mark.django_db

FULL_MARKS = {name: SCORE_MAX for name, _ in CHECKLIST}
BASE_URL = "http://acme.localhost"


@pytest.fixture
def carlos(make_user):
    return make_user(Role.CONSULTANT, full_name="Carlos Lead")


@pytest.fixture
def accepted(sales, leader, carlos, settings, tmp_path):
    """A packet accepted with Carlos as lead: one custom item needed custom work."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES}
    packet = HandoffPacketFactory(
        filed_by=sales,
        ready=True,
        deal_name="Northwind rollout",
        goals="Every order ships the day it is placed.",
        success_criteria="95% same-day shipping by Q3.",
        discovery_notes="Their ERP exports only CSV.",
    )
    packet.sow.save("sow.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    packet.sow_filename = "Northwind SOW.pdf"
    packet.save()
    deliverable = packet.items.get()
    custom = HandoffItemFactory(
        packet=packet, kind=Item.Kind.CUSTOM_REQUIREMENT, description="Legacy ERP connector"
    )
    services.packet_submit(packet=packet, by=sales, base_url=BASE_URL)
    services.packet_review(
        packet=packet,
        by=leader,
        review=services.ReviewInput(
            decision=HandoffReview.Decision.ACCEPT,
            scores=FULL_MARKS,
            verdicts={
                deliverable.pk: (Verdict.IN_SCOPE, ""),
                custom.pk: (Verdict.NEEDS_CUSTOM_WORK, "Two weeks of connector work."),
            },
            lead=carlos,
        ),
        base_url=BASE_URL,
    )
    packet.refresh_from_db()
    return packet


def test_the_lead_reads_what_was_sold_on_the_engagement_page(client_for, carlos, accepted):
    browser = client_for(carlos)

    page = browser.get(accepted.engagement.get_absolute_url()).content.decode()

    assert "What was sold" in page
    assert "Every order ships the day it is placed." in page
    assert "95% same-day shipping by Q3." in page
    assert "Their ERP exports only CSV." in page
    assert f'href="/handoffs/{accepted.pk}/sow/">Northwind SOW.pdf</a>' in page
    assert f'href="{accepted.get_absolute_url()}"' in page
    # The item that needed custom work comes first and says so.
    sold = page.split('id="what-was-sold"', 1)[1].split("</section>", 1)[0]
    assert sold.index("Legacy ERP connector") < sold.index("warehouse integration")
    assert '<li class="needs-attention"><span class="pill verdict-needs_custom_work">' in sold
    assert "Two weeks of connector work." in sold
    assert "1 item needed more than what is in scope" in sold


def test_the_lead_opens_the_packet_read_only_and_finds_it_in_handoffs(client_for, carlos, accepted):
    browser = client_for(carlos)

    detail = browser.get(accepted.get_absolute_url())
    assert detail.status_code == 200
    assert f"/handoffs/{accepted.pk}/edit/" not in detail.content.decode()
    assert f"/handoffs/{accepted.pk}/review/" not in detail.content.decode()
    assert browser.get(f"/handoffs/{accepted.pk}/sow/").status_code == 200
    assert "Northwind rollout" in browser.get("/handoffs/").content.decode()
    assert browser.get(f"/handoffs/{accepted.pk}/edit/").status_code == 403


def test_the_team_reads_it_too(client_for, make_user, accepted):
    member = make_user(Role.CONSULTANT)
    accepted.engagement.team.add(member)

    assert client_for(member).get(accepted.get_absolute_url()).status_code == 200
    assert (
        "What was sold"
        in client_for(member).get(accepted.engagement.get_absolute_url()).content.decode()
    )


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.ADMIN])
def test_people_not_delivering_it_see_the_engagement_without_the_deal(
    client_for, make_user, accepted, role
):
    outsider = client_for(make_user(role))

    page = outsider.get(accepted.engagement.get_absolute_url())

    assert page.status_code == 200
    assert "What was sold" not in page.content.decode()
    assert "Every order ships the day it is placed." not in page.content.decode()
    assert outsider.get(accepted.get_absolute_url()).status_code in (403, 404)
    assert outsider.get(f"/handoffs/{accepted.pk}/sow/").status_code in (403, 404)


def test_the_panel_costs_a_fixed_number_of_queries(client_for, carlos, accepted):
    browser = client_for(carlos)
    url = accepted.engagement.get_absolute_url()

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url).status_code == 200
        return len(captured)

    before = count()
    for n in range(5):
        HandoffItemFactory(packet=accepted, description=f"Later item {n}")
    assert count() == before
