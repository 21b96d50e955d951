"""A refused long form says what is wrong at its top, each problem a link to its field."""

import re

import pytest

from handoffs.models import HandoffReview, Verdict
from tests.handoffs.factories import HandoffPacketFactory
from tests.handoffs.pages import review_data

pytestmark = pytest.mark.django_db


def summary_of(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary on the page"
    return match[0]


def anchors(summary: str) -> list[str]:
    return re.findall(r'href="#([^"]+)"', summary)


def test_a_refused_review_decision_is_summarised_at_the_top(client_for, leader):
    packet = HandoffPacketFactory(submitted=True, ready=True)
    data = review_data(packet, decision=HandoffReview.Decision.ACCEPT)  # and no lead

    response = client_for(leader).post(f"/handoffs/{packet.pk}/review/", data)

    assert response.status_code == 400
    page = response.content.decode()
    summary = summary_of(page)
    # Before the form, where the reloaded page starts, and focusable for app.js.
    assert page.index('class="error-summary"') < page.index('<form method="post" novalidate>')
    assert 'tabindex="-1"' in summary and 'role="alert"' in summary
    assert "1 problem to fix" in summary
    assert "Choose who leads the engagement." in summary
    # Every link goes to an element of the page.
    assert anchors(summary)
    for anchor in anchors(summary):
        assert f'id="{anchor}"' in page, anchor


def test_each_problem_of_a_review_is_listed(client_for, leader):
    packet = HandoffPacketFactory(submitted=True, ready=True)
    item = packet.items.get()
    data = review_data(packet, decision="", verdicts={item: (Verdict.NOT_POSSIBLE, "")})

    response = client_for(leader).post(f"/handoffs/{packet.pk}/review/", data)

    summary = summary_of(response.content.decode())
    assert "Explain the surprise" in summary
    assert len(anchors(summary)) >= 2


def test_the_handoff_form_summarises_its_rows_too(client_for, sales):
    data = {
        "deal_name": "",
        "new_client_name": "Hooli",
        "currency": "USD",
        "engagement_kind": "implementation",
        "stakeholders-TOTAL_FORMS": "1",
        "stakeholders-INITIAL_FORMS": "0",
        "stakeholders-0-name": "",
        "stakeholders-0-email": "not an address",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
    }

    response = client_for(sales).post("/handoffs/new/", data)

    assert response.status_code == 400
    page = response.content.decode()
    summary = summary_of(page)
    assert "Deal name: This field is required." in summary
    assert "Stakeholder 1: Email: Enter a valid email address." in summary
    for anchor in anchors(summary):
        assert f'id="{anchor}"' in page, anchor


def test_a_page_without_errors_has_no_summary(client_for, sales):
    assert "error-summary" not in client_for(sales).get("/handoffs/new/").content.decode()
