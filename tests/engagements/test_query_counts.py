"""The engagement pages run a fixed number of queries, however many rows they show.

Each test renders a page with a few rows, then with ten times as many, and asserts
the same number of queries both times (and a ceiling, so a page cannot drift into
dozens of queries unnoticed). Every row carries the relations the page displays (a
lead, an owner, a stakeholder, an actor), so a missing ``select_related`` or
``prefetch_related`` costs a query per row and shows here.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagements.models import Engagement, FollowUp, PainPoint, Recommendation
from psops.accounts.models import Role
from tests.engagements.factories import (
    ActivityFactory,
    ClientFactory,
    EngagementFactory,
    EscalationFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

FEW = 3
MANY = 10 * FEW


def queries(statements: int) -> int:
    """The ceiling for a page that runs ``statements`` SQL statements.

    django-tenants (without ``TENANT_LIMIT_SET_CALLS``) sends ``SET search_path``
    before every statement, and the test counts those too. Each page's statements:
    the host's domain, the session and the user, then the page's own reads.
    """
    return 2 * statements


def measure(browser, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url)
    assert response.status_code == 200, url
    return len(queries), response.content.decode()


def assert_flat(browser, url, add_rows, *, ceiling, django_assert_max_num_queries):
    """Same query count with FEW and MANY rows, and never above ``ceiling``."""
    add_rows(0, FEW)
    with_few, page = measure(browser, url)
    assert "row 0001" in page  # the rows are really on the page

    add_rows(FEW, MANY)
    with_many, page = measure(browser, url)
    assert "row 0020" in page

    assert with_many == with_few, (
        f"{url}: {with_few} queries with {FEW} rows, {with_many} with {MANY}"
    )
    with django_assert_max_num_queries(ceiling):
        browser.get(url)


def name(number: int) -> str:
    return f"row {number + 1:04d}"


@pytest.fixture
def browser(client_for, leader):
    return client_for(leader)


@pytest.fixture
def person(make_user):
    """A different user for every row, so per-row lookups cannot hit a cache."""
    return lambda number: make_user(Role.CONSULTANT, full_name=f"Person {number:04d}")


def test_client_list(browser, person, django_assert_max_num_queries):
    def add_rows(first, last):
        for number in range(first, last):
            client = ClientFactory(name=name(number), segment="enterprise")
            engagement = EngagementFactory(client=client, lead=person(number))
            PainPointFactory(engagement=engagement)

    assert_flat(
        browser,
        "/clients/",
        add_rows,
        ceiling=queries(3 + 2),  # the count for the paginator, a page of clients
        django_assert_max_num_queries=django_assert_max_num_queries,
    )


@pytest.mark.parametrize(
    ("url", "statements"),
    [
        # Per kind section: a count and a page of rows; then the lead and client filters.
        ("/engagements/", 3 + 2 * 2 + 2),
        ("/engagements/?kind=success&status=active", 3 + 2 + 2),
    ],
)
def test_engagement_list(browser, person, url, statements, django_assert_max_num_queries):
    def add_rows(first, last):
        for number in range(first, last):
            for kind in Engagement.Kind:
                engagement = EngagementFactory(
                    client=ClientFactory(name=f"Client {kind} {name(number)}"),
                    name=name(number),
                    kind=kind,
                    status=Engagement.Status.ACTIVE,
                    lead=person(number),
                )
                PainPointFactory(engagement=engagement)
                FollowUpFactory(engagement=engagement, overdue=True)

    assert_flat(
        browser,
        url,
        add_rows,
        ceiling=queries(statements),
        django_assert_max_num_queries=django_assert_max_num_queries,
    )


def test_engagement_list_counts_are_on_the_page(browser, leader):
    engagement = EngagementFactory(name="Busy rollout", lead=leader)
    PainPointFactory.create_batch(2, engagement=engagement)
    FollowUpFactory.create_batch(3, engagement=engagement, overdue=True)

    _, page = measure(browser, "/engagements/")

    row = page[page.index("Busy rollout") :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">2</td>' in row
    assert '<span class="pill severity-high">3</span>' in row


def test_my_followups(browser, leader, django_assert_max_num_queries):
    def add_rows(first, last):
        for number in range(first, last):
            engagement = EngagementFactory(client=ClientFactory(name=f"Client {name(number)}"))
            FollowUpFactory(
                engagement=engagement,
                owner=leader,
                title=name(number),
                due_on=timezone.localdate() + timedelta(days=number - 5),
                stakeholder=StakeholderFactory(client=engagement.client),
            )

    assert_flat(
        browser,
        "/followups/mine/",
        add_rows,
        ceiling=queries(3 + 2),  # the count for the paginator, a page of follow-ups
        django_assert_max_num_queries=django_assert_max_num_queries,
    )


def test_engagement_detail(browser, leader, person, django_assert_max_num_queries):
    engagement = EngagementFactory(
        name="Warehouse rollout", lead=leader, sold_by=person(9999), budget_hours=300
    )

    def add_rows(first, last):
        for number in range(first, last):
            someone = person(number)
            engagement.team.add(someone)
            stakeholder = StakeholderFactory(
                client=engagement.client, name=f"Stakeholder {name(number)}"
            )
            stakeholder.engagements.add(engagement)
            scaling = number % 2 == 0
            pain_point = PainPointFactory(
                engagement=engagement,
                title=f"Pain point {name(number)}",
                identified_by=someone,
                affected_stakeholders=[stakeholder],
                scaling=scaling,
                current_value=Decimal(900 + number),
            )
            RecommendationFactory(
                engagement=engagement,
                title=f"Recommendation {name(number)}",
                pain_point=pain_point,
                status=Recommendation.Status.DEFERRED,
                decided_by_name="Dana Whitfield",
                decided_by_role="CFO",
                decided_on=timezone.localdate(),
                decision_reason="No budget",
            )
            FollowUpFactory(
                engagement=engagement,
                title=f"Follow-up {name(number)}",
                owner=someone,
                stakeholder=stakeholder,
                overdue=number % 3 == 0,
                **(
                    {"status": FollowUp.Status.DONE, "completed_at": timezone.now()}
                    if number % 3 == 1
                    else {}
                ),
            )
            EscalationFactory(
                engagement=engagement,
                title=f"Escalation {name(number)}",
                raised_by=someone,
                affected_stakeholders=[stakeholder],
            )
            ActivityFactory(engagement=engagement, summary=f"Note {name(number)}", actor=someone)

    assert_flat(
        browser,
        f"/engagements/{engagement.pk}/",
        add_rows,
        # The engagement, its team, pain points (+ their stakeholders), recommendations,
        # follow-ups, stakeholders, escalations (+ their stakeholders), the timeline.
        ceiling=queries(3 + 10),
        django_assert_max_num_queries=django_assert_max_num_queries,
    )
    _, page = measure(browser, f"/engagements/{engagement.pk}/")
    for section in ("Pain point", "Recommendation", "Follow-up", "Escalation", "Stakeholder"):
        assert f"{section} row 0030" in page, section
    assert "Note row 0030" in page
    assert "capacity reached in about" in page
    assert "by Dana Whitfield (CFO): No budget" in page


def test_client_detail(browser, person, django_assert_max_num_queries):
    client = ClientFactory(name="Initech")

    def add_rows(first, last):
        for number in range(first, last):
            engagement = EngagementFactory(
                client=client, name=f"Engagement {name(number)}", lead=person(number)
            )
            StakeholderFactory(
                client=client, name=f"Stakeholder {name(number)}", engagements=[engagement]
            )
            PainPointFactory(
                engagement=engagement,
                title=f"Pain point {name(number)}",
                status=PainPoint.Status.ACKNOWLEDGED,
            )

    assert_flat(
        browser,
        f"/clients/{client.pk}/",
        add_rows,
        # The client, its engagements, stakeholders (+ their engagements), open pain points.
        ceiling=queries(3 + 5),
        django_assert_max_num_queries=django_assert_max_num_queries,
    )
    _, page = measure(browser, f"/clients/{client.pk}/")
    assert "Person 0029" in page  # a lead
    assert "On: Engagement row 0030" in page  # a stakeholder's engagements
    assert "Pain point row 0030" in page
