"""The sales-enablement report: the numbers a PS leader reads, on the page and in the CSV.

The scenario (``history``) is one quarter, 2025-01-01 to 2025-03-31, for two sales reps,
plus rounds just outside it. Every timestamp is UTC; the viewers' time zone is
Europe/Berlin (the user factory's), so the period's edges are Berlin midnights.

Alice Archer
  P1  round 1 2025-01-10, after 2.4 days: custom requirement "needs custom work",
      assumption "unclear" -> changes requested. Round 2 2025-01-20, after 5 days: the
      custom requirement is still "needs custom work" (not a new surprise) -> accepted.
  P2  round 1 2025-02-01, after 1.5 days: all in scope -> accepted.
  P3  round 1 2024-12-15 (before the period): deliverable "not possible". Round 2
      2025-01-05, after 1 day: still "not possible" -> an item already counted in
      December, so no surprise in the quarter; the packet was reviewed in it, though.
Bob Baker
  P5  round 1 2025-03-01, after 4 days: custom requirement "not possible", commitment
      "needs custom work", deliverable "unclear" -> rejected.
  P6  round 1 2025-03-31 23:30 Berlin, after 3 days: in scope -> accepted (last evening).
  P7  round 1 2025-02-10, after 1 day: in scope -> accepted.
  P4  round 1 2025-04-01 00:30 Berlin (still March 31 in UTC): assumption "not
      possible" -> outside the period.

In the quarter: Alice 3 packets, 2 surprises, first pass 1 of 2; Bob 3 packets,
3 surprises, first pass 2 of 3; median turnaround of 1, 1, 1.5, 2.4, 3, 4, 5 = 2.4 days.
"""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from handoffs import reports, services
from handoffs.models import (
    CHECKLIST,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffVerdict,
    Verdict,
)
from handoffs.views.reports import period_from_query, surprises_chart
from psops.accounts.models import Role
from psops.ui.spreadsheets import csv_safe
from tests.factories import UserFactory
from tests.handoffs.factories import HandoffItemFactory, HandoffPacketFactory

pytestmark = pytest.mark.django_db

URL = "/handoffs/report/"
QUARTER = "?from=2025-01-01&to=2025-03-31"
BERLIN = ZoneInfo("Europe/Berlin")
FULL_MARKS = {name: 2 for name, _ in CHECKLIST}

Kind = HandoffItem.Kind
Decision = HandoffReview.Decision


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def review_round(packet, *, round, decision, submitted, reviewed, verdicts, reviewer):
    """A review round recorded at ``reviewed`` (UTC) with ``verdicts``: {item: verdict}."""
    review = HandoffReview.objects.create(
        packet=packet,
        round=round,
        reviewer=reviewer,
        decision=decision,
        submitted_at=utc(submitted),
        **FULL_MARKS,
    )
    # created_at is auto_now_add: move the round to when the story says it happened.
    HandoffReview.objects.filter(pk=review.pk).update(created_at=utc(reviewed))
    HandoffVerdict.objects.bulk_create(
        HandoffVerdict(
            review=review,
            item=item,
            item_kind=item.kind,
            item_description=item.description,
            verdict=verdict,
            note="" if verdict == Verdict.IN_SCOPE else "Not what services can deliver.",
        )
        for item, verdict in verdicts.items()
    )
    return review


def item(packet, kind):
    return HandoffItemFactory(packet=packet, kind=kind)


@pytest.fixture
def alice(make_user):
    return make_user(Role.SALES, full_name="Alice Archer", email="alice@acme.test")


@pytest.fixture
def bob(make_user):
    return make_user(Role.SALES, full_name="Bob Baker", email="bob@acme.test")


@pytest.fixture
def history(alice, bob, leader):
    def packet(rep):
        return HandoffPacketFactory(filed_by=rep, status=HandoffPacket.Status.ACCEPTED)

    p1 = packet(alice)
    d1, c1 = item(p1, Kind.DELIVERABLE), item(p1, Kind.CUSTOM_REQUIREMENT)
    a1 = item(p1, Kind.ASSUMPTION)
    review_round(
        p1,
        round=1,
        decision=Decision.REQUEST_CHANGES,
        submitted="2025-01-08 02:24",
        reviewed="2025-01-10 12:00",
        verdicts={d1: Verdict.IN_SCOPE, c1: Verdict.NEEDS_CUSTOM_WORK, a1: Verdict.UNCLEAR},
        reviewer=leader,
    )
    review_round(
        p1,
        round=2,
        decision=Decision.ACCEPT,
        submitted="2025-01-15 12:00",
        reviewed="2025-01-20 12:00",
        verdicts={d1: Verdict.IN_SCOPE, c1: Verdict.NEEDS_CUSTOM_WORK, a1: Verdict.IN_SCOPE},
        reviewer=leader,
    )
    p2 = packet(alice)
    review_round(
        p2,
        round=1,
        decision=Decision.ACCEPT,
        submitted="2025-01-31 00:00",
        reviewed="2025-02-01 12:00",
        verdicts={item(p2, Kind.DELIVERABLE): Verdict.IN_SCOPE},
        reviewer=leader,
    )
    p3 = packet(alice)
    d3 = item(p3, Kind.DELIVERABLE)
    review_round(
        p3,
        round=1,
        decision=Decision.REQUEST_CHANGES,
        submitted="2024-11-15 12:00",
        reviewed="2024-12-15 12:00",
        verdicts={d3: Verdict.NOT_POSSIBLE},
        reviewer=leader,
    )
    review_round(
        p3,
        round=2,
        decision=Decision.REQUEST_CHANGES,
        submitted="2025-01-04 12:00",
        reviewed="2025-01-05 12:00",
        verdicts={d3: Verdict.NOT_POSSIBLE},
        reviewer=leader,
    )

    p5 = packet(bob)
    review_round(
        p5,
        round=1,
        decision=Decision.REJECT,
        submitted="2025-02-25 12:00",
        reviewed="2025-03-01 12:00",
        verdicts={
            item(p5, Kind.CUSTOM_REQUIREMENT): Verdict.NOT_POSSIBLE,
            item(p5, Kind.COMMITMENT): Verdict.NEEDS_CUSTOM_WORK,
            item(p5, Kind.DELIVERABLE): Verdict.UNCLEAR,
        },
        reviewer=leader,
    )
    p6 = packet(bob)
    review_round(
        p6,
        round=1,
        decision=Decision.ACCEPT,
        submitted="2025-03-28 21:30",
        reviewed="2025-03-31 21:30",  # 23:30 in Berlin (summer time since March 30)
        verdicts={item(p6, Kind.DELIVERABLE): Verdict.IN_SCOPE},
        reviewer=leader,
    )
    p7 = packet(bob)
    review_round(
        p7,
        round=1,
        decision=Decision.ACCEPT,
        submitted="2025-02-09 12:00",
        reviewed="2025-02-10 12:00",
        verdicts={item(p7, Kind.DELIVERABLE): Verdict.IN_SCOPE},
        reviewer=leader,
    )
    p4 = packet(bob)
    review_round(
        p4,
        round=1,
        decision=Decision.REQUEST_CHANGES,
        submitted="2025-03-11 22:30",
        reviewed="2025-03-31 22:30",  # 00:30 on April 1 in Berlin
        verdicts={item(p4, Kind.ASSUMPTION): Verdict.NOT_POSSIBLE},
        reviewer=leader,
    )


def rep_row(name, packets, surprises, per_packet, first_pass):
    return (
        f'<tr><th scope="row">{name}</th><td class="num">{packets}</td>'
        f'<td class="num">{surprises}</td><td class="num">{per_packet}</td>'
        f'<td class="num">{first_pass}</td></tr>'
    )


def matrix_row(label, needs_custom_work, not_possible, unclear):
    cells = "".join(
        f'<td class="num{"" if count else " zero"}">{count}</td>'
        for count in (needs_custom_work, not_possible, unclear)
    )
    total = needs_custom_work + not_possible + unclear
    return f'<tr><th scope="row">{label}</th>{cells}<td class="num">{total}</td></tr>'


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def as_leader(client_for, leader):
    return client_for(leader)


# --- What the leader reads -------------------------------------------------------------


def test_the_page_shows_surprises_first_pass_and_turnaround_per_rep(as_leader, history):
    response = as_leader.get(URL + QUARTER)

    assert response.status_code == 200
    assertContains(response, rep_row("Bob Baker", 3, 3, "1.00", "67% (2 of 3)"), html=True)
    assertContains(response, rep_row("Alice Archer", 3, 2, "0.67", "50% (1 of 2)"), html=True)
    page = response.content.decode()
    table = page[page.index('id="reps-table"') :]
    assert table.index("Bob Baker") < table.index("Alice Archer"), "most surprises first"
    assertContains(
        response,
        '<tr><th scope="row">All reps</th><td class="num">6</td><td class="num">5</td>'
        '<td class="num">0.83</td><td class="num">60% (3 of 5)</td></tr>',
        html=True,
    )
    assertContains(response, '<dd id="review-rounds">7</dd>', html=True)
    assertContains(response, '<dd id="surprises-total">5</dd>', html=True)
    assertContains(response, '<dd id="median-turnaround">2.4 calendar days</dd>', html=True)


def test_the_matrix_counts_surprises_per_item_kind_and_verdict(as_leader, history):
    response = as_leader.get(URL + QUARTER)

    assertContains(response, matrix_row("Deliverable", 0, 0, 1), html=True)
    assertContains(response, matrix_row("Custom requirement", 1, 1, 0), html=True)
    assertContains(response, matrix_row("Commitment (date or SLA)", 1, 0, 0), html=True)
    assertContains(response, matrix_row("Assumption", 0, 0, 1), html=True)
    assertContains(
        response,
        '<tr><th scope="row">All kinds</th><td class="num">2</td><td class="num">1</td>'
        '<td class="num">2</td><td class="num">5</td></tr>',
        html=True,
    )


def test_the_page_states_its_definitions(as_leader, history):
    response = as_leader.get(URL + QUARTER)

    assertContains(response, "counted once per item at its first such verdict")
    assertContains(response, "the share accepted in that first round")
    assertContains(response, "in calendar days")


def test_the_chart_draws_one_labelled_bar_per_rep(as_leader, history):
    response = as_leader.get(URL + QUARTER)
    page = response.content.decode()

    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg
    assert (
        'aria-label="Surprises per sales rep, 2025-01-01 to 2025-03-31: '
        'Bob Baker: 3; Alice Archer: 2"' in svg
    )
    assert "<title>Bob Baker: 3 surprises in 3 packets reviewed</title>" in svg
    assert svg.count('class="chart-bar"') == 2
    # The longest bar is Bob's; Alice's is two thirds of it.
    widths = [float(part.split('"')[0]) for part in svg.split('width="')[1:]]
    assert widths == [400.0, 266.7]


def test_the_csv_has_one_row_per_rep_with_the_page_numbers(as_leader, history):
    response = as_leader.get(URL + QUARTER + "&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="acme-sales-enablement-2025-01-01-to-2025-03-31.csv"'
    )
    assert csv_rows(response) == [
        [
            "Sales rep",
            "Email",
            "Packets reviewed",
            "Surprises",
            "Surprises per packet",
            "First reviews in period",
            "Accepted in first round",
            "First-pass acceptance %",
        ],
        ["Bob Baker", "bob@acme.test", "3", "3", "1.00", "3", "2", "67"],
        ["Alice Archer", "alice@acme.test", "3", "2", "0.67", "2", "1", "50"],
    ]


def test_the_page_links_to_the_csv_of_the_period_shown(as_leader, history):
    response = as_leader.get(URL + QUARTER)

    assertContains(
        response, 'href="/handoffs/report/?from=2025-01-01&amp;to=2025-03-31&amp;format=csv"'
    )


def test_an_htmx_request_gets_only_the_results(as_leader, history):
    response = as_leader.get(URL + QUARTER, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-results")

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="report-results">')
    assert "<html" not in page
    assertContains(response, rep_row("Bob Baker", 3, 3, "1.00", "67% (2 of 3)"), html=True)
    assert "HX-Request" in response["Vary"]


# --- The period --------------------------------------------------------------------------


def test_a_shorter_period_leaves_out_the_rounds_outside_it(as_leader, history):
    response = as_leader.get(URL + "?from=2025-03-01&to=2025-03-31")

    assertContains(response, rep_row("Bob Baker", 2, 3, "1.50", "50% (1 of 2)"), html=True)
    assertNotContains(response, "Alice Archer")
    assertContains(response, matrix_row("Assumption", 0, 0, 0), html=True)
    # P5 after 4 days, P6 after 3: the median of two is their mean.
    assertContains(response, '<dd id="median-turnaround">3.5 calendar days</dd>', html=True)
    rows = csv_rows(as_leader.get(URL + "?from=2025-03-01&to=2025-03-31&format=csv"))
    assert [row[0] for row in rows[1:]] == ["Bob Baker"]


def test_a_rep_without_a_first_review_in_the_period_gets_a_dash(as_leader, history):
    # Only P3's second round falls on January 5: reviewed, but its first round was earlier.
    response = as_leader.get(URL + "?from=2025-01-05&to=2025-01-05")

    assertContains(response, rep_row("Alice Archer", 1, 0, "0.00", "—"), html=True)
    assertContains(response, "none of the rep's packets had its first review round")
    assertContains(response, '<dd id="first-pass-total">—</dd>', html=True)


def test_a_surprise_belongs_to_the_period_of_its_first_surprising_verdict(as_leader, history):
    december = as_leader.get(URL + "?from=2024-12-01&to=2024-12-31")
    april = as_leader.get(URL + "?from=2025-04-01&to=2025-04-30")

    # P3's deliverable, "not possible" in round 1 (December) and again in January.
    assertContains(december, rep_row("Alice Archer", 1, 1, "1.00", "0% (0 of 1)"), html=True)
    assertContains(december, matrix_row("Deliverable", 0, 1, 0), html=True)
    # P4 was reviewed at 00:30 on April 1 in the viewer's time zone.
    assertContains(april, rep_row("Bob Baker", 1, 1, "1.00", "0% (0 of 1)"), html=True)
    assertContains(april, '<dd id="median-turnaround">20.0 calendar days</dd>', html=True)


def test_without_dates_the_report_covers_the_last_90_days(as_leader, alice, leader):
    now = timezone.now()
    recent, old = (HandoffPacketFactory(filed_by=alice) for _ in range(2))
    for packet, days_ago in ((recent, 10), (old, 100)):
        review = HandoffReview.objects.create(
            packet=packet,
            round=1,
            reviewer=leader,
            decision=Decision.ACCEPT,
            submitted_at=now - timedelta(days=days_ago + 2),
            **FULL_MARKS,
        )
        HandoffReview.objects.filter(pk=review.pk).update(created_at=now - timedelta(days=days_ago))

    response = as_leader.get(URL)

    today = timezone.localdate(timezone=BERLIN)
    start = today - timedelta(days=89)
    assertContains(response, f'<input type="date" id="period-from" name="from" value="{start}">')
    assertContains(response, f'<input type="date" id="period-to" name="to" value="{today}">')
    assertContains(response, "(90 days)")
    assertContains(response, rep_row("Alice Archer", 1, 0, "0.00", "100% (1 of 1)"), html=True)
    assertContains(response, '<dd id="median-turnaround">2.0 calendar days</dd>', html=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "?from=2025-13-01&to=2025-03-31",
            "“From” must be a date like 2025-03-31, not “2025-13-01”.",
        ),
        ("?from=2025-01-01&to=yesterday", "“To” must be a date like 2025-03-31, not “yesterday”."),
        ("?from=2025-03-31&to=2025-01-01", "“From” (2025-03-31) is after “To” (2025-01-01)."),
        ("?from=0001-01-01", "“From” must be between 1900-01-01 and 2999-12-31."),
    ],
)
def test_bad_dates_get_a_message_and_the_default_period(as_leader, history, query, message):
    response = as_leader.get(URL + query)

    assert response.status_code == 200
    assertContains(response, message)
    assertContains(response, "Showing the last 90 days instead.")
    start = timezone.localdate(timezone=BERLIN) - timedelta(days=89)
    assertContains(response, f'name="from" value="{start}"')
    # The quarter's story is well over 90 days ago: nothing from it is shown.
    assertNotContains(response, "Alice Archer")


def test_a_csv_for_bad_dates_is_refused_rather_than_another_period(as_leader, history):
    response = as_leader.get(URL + "?from=2025-03-31&to=2025-01-01&format=csv")

    assert response.status_code == 400
    assert "is after" in response.content.decode()


def test_period_from_query_fills_in_a_missing_date():
    today = date(2026, 11, 22)

    only_start = period_from_query(start_text="2026-10-01", end_text="", today=today)
    only_end = period_from_query(start_text="", end_text="2026-06-30", today=today)

    assert only_start.period == reports.Period(date(2026, 10, 1), today)
    assert only_end.period == reports.Period(date(2026, 4, 2), date(2026, 6, 30))
    assert only_end.period.days == 90
    assert not only_start.errors and not only_end.errors


def test_an_empty_period_says_nothing_was_reviewed(as_leader, history):
    response = as_leader.get(URL + "?from=2023-01-01&to=2023-12-31")

    assertContains(response, "No handoff packet was reviewed in this period")
    assertNotContains(response, 'id="reps-table"')
    assertNotContains(response, "<svg")
    assertNotContains(response, "Download CSV")


def test_reviews_without_surprises_show_the_tables_but_no_chart(as_leader, alice, leader):
    packet = HandoffPacketFactory(filed_by=alice)
    review_round(
        packet,
        round=1,
        decision=Decision.ACCEPT,
        submitted="2025-02-01 12:00",
        reviewed="2025-02-02 12:00",
        verdicts={item(packet, Kind.DELIVERABLE): Verdict.IN_SCOPE},
        reviewer=leader,
    )

    response = as_leader.get(URL + QUARTER)

    assertContains(response, "No surprises in this period")
    assertNotContains(response, "<svg")
    assertContains(response, rep_row("Alice Archer", 1, 0, "0.00", "100% (1 of 1)"), html=True)


# --- Through the services, as the review form records it ---------------------------------


def test_review_rounds_recorded_by_the_services_are_counted(as_leader, alice, leader):
    packet = HandoffPacketFactory(filed_by=alice, ready=True)
    custom = HandoffItemFactory(packet=packet, kind=Kind.CUSTOM_REQUIREMENT)
    deliverable = packet.items.get(kind=Kind.DELIVERABLE)
    base_url = "http://acme.localhost"

    def review(decision, custom_verdict, comments=""):
        services.packet_submit(packet=packet, by=alice, base_url=base_url)
        services.packet_review(
            packet=packet,
            by=leader,
            review=services.ReviewInput(
                decision=decision,
                scores=FULL_MARKS,
                verdicts={
                    deliverable.pk: (Verdict.IN_SCOPE, ""),
                    custom.pk: (custom_verdict, "Needs a custom connector."),
                },
                comments=comments,
                lead=leader,
            ),
            base_url=base_url,
        )

    review(Decision.REQUEST_CHANGES, Verdict.NEEDS_CUSTOM_WORK, "Price the connector.")
    review(Decision.ACCEPT, Verdict.NEEDS_CUSTOM_WORK)

    response = as_leader.get(URL)

    assertContains(response, rep_row("Alice Archer", 1, 1, "1.00", "0% (0 of 1)"), html=True)
    assertContains(response, matrix_row("Custom requirement", 1, 0, 0), html=True)
    assertContains(response, '<dd id="review-rounds">2</dd>', html=True)
    assertContains(response, '<dd id="median-turnaround">0.0 calendar days</dd>', html=True)


def test_a_surprise_on_a_deleted_item_still_counts_once(alice, leader):
    packet = HandoffPacketFactory(filed_by=alice)
    doomed = item(packet, Kind.COMMITMENT)
    for number, day in ((1, "2025-01-10"), (2, "2025-01-20")):
        review_round(
            packet,
            round=number,
            decision=Decision.REQUEST_CHANGES,
            submitted=f"{day} 08:00",
            reviewed=f"{day} 12:00",
            verdicts={doomed: Verdict.UNCLEAR},
            reviewer=leader,
        )
    doomed.delete()  # the verdicts keep their snapshot, with item = NULL

    with timezone.override(BERLIN):
        counts = reports.surprises_by_kind_and_verdict(
            period=reports.Period(date(2025, 1, 1), date(2025, 3, 31))
        )

    assert counts == {(Kind.COMMITMENT, Verdict.UNCLEAR): 1}


# --- Who may see it ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "&format=csv"])
def test_sales_and_consultants_get_403(client_for, sales, consultant, history, suffix):
    for user in (sales, consultant):
        response = client_for(user).get(URL + QUARTER + suffix)
        assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(anonymous_client, history):
    response = anonymous_client.get(URL + QUARTER + "&format=csv")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_admins_see_the_report(client_for, admin_user, history):
    response = client_for(admin_user).get(URL + QUARTER)

    assertContains(response, rep_row("Bob Baker", 3, 3, "1.00", "67% (2 of 3)"), html=True)


def test_leaders_and_admins_find_it_in_the_navigation(
    client_for, leader, admin_user, consultant, sales
):
    home = reverse("handoffs:packet_list")
    enablement = f'<a href="{URL}">Enablement</a>'
    link = f'<a class="button secondary" href="{URL}">Sales enablement report</a>'

    page = client_for(leader).get(home)
    assertContains(page, enablement, html=True)
    assertContains(page, link, html=True)
    # Admins read no packet: the report is in their navigation, the packet list is not.
    page = client_for(admin_user).get(reverse("home"))
    assertContains(page, enablement, html=True)
    assertNotContains(page, f'href="{home}"')
    for user in (consultant, sales):
        page = client_for(user).get(home)
        assertNotContains(page, "Enablement")
        assertNotContains(page, "Sales enablement report")


def test_another_tenants_reviews_are_not_counted(as_leader, history, tenant, other_tenant):
    connection.set_tenant(other_tenant)
    try:
        gina = UserFactory(role=Role.SALES, full_name="Gina Globex")
        their_leader = UserFactory(role=Role.LEADER)
        packet = HandoffPacketFactory(filed_by=gina)
        review_round(
            packet,
            round=1,
            decision=Decision.REJECT,
            submitted="2025-02-01 12:00",
            reviewed="2025-02-20 12:00",
            verdicts={item(packet, Kind.ASSUMPTION): Verdict.NOT_POSSIBLE},
            reviewer=their_leader,
        )
    finally:
        connection.set_tenant(tenant)

    response = as_leader.get(URL + QUARTER)
    rows = csv_rows(as_leader.get(URL + QUARTER + "&format=csv"))

    assertNotContains(response, "Gina Globex")
    assertContains(response, '<dd id="surprises-total">5</dd>', html=True)
    assertContains(response, matrix_row("Assumption", 0, 0, 1), html=True)
    assertContains(response, '<dd id="median-turnaround">2.4 calendar days</dd>', html=True)
    assert [row[0] for row in rows[1:]] == ["Bob Baker", "Alice Archer"]


# --- Hostile names -----------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.test","x")', "+1+1", "-2+3", "@SUM(A1:A9)"]


def test_csv_cells_that_would_run_as_formulas_are_quoted(as_leader, make_user, leader):
    for number, name in enumerate(FORMULAS):
        rep = make_user(Role.SALES, full_name=name, email=f"rep{number}@acme.test")
        packet = HandoffPacketFactory(filed_by=rep)
        review_round(
            packet,
            round=1,
            decision=Decision.REQUEST_CHANGES,
            submitted="2025-02-01 12:00",
            reviewed="2025-02-02 12:00",
            verdicts={item(packet, Kind.DELIVERABLE): Verdict.UNCLEAR},
            reviewer=leader,
        )

    rows = csv_rows(as_leader.get(URL + QUARTER + "&format=csv"))

    assert sorted(row[0] for row in rows[1:]) == sorted("'" + name for name in FORMULAS)
    assert csv_safe("Alice") == "Alice"
    assert csv_safe("\t=1") == "'\t=1"
    assert csv_safe(3) == 3


def test_names_are_escaped_in_the_table_and_the_chart(as_leader, make_user, leader):
    rep = make_user(Role.SALES, full_name='<script>alert("x")</script>')
    packet = HandoffPacketFactory(filed_by=rep)
    review_round(
        packet,
        round=1,
        decision=Decision.REQUEST_CHANGES,
        submitted="2025-02-01 12:00",
        reviewed="2025-02-02 12:00",
        verdicts={item(packet, Kind.DELIVERABLE): Verdict.UNCLEAR},
        reviewer=leader,
    )

    page = as_leader.get(URL + QUARTER).content.decode()

    assert "<script>alert" not in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg


def test_long_names_are_shortened_on_the_chart_but_not_in_its_tooltip():
    rep = UserFactory.build(full_name="Maximiliane Montgomery-Featherstonehaugh")
    row = reports.RepRow(
        rep=rep, packets_reviewed=1, surprises=1, first_reviews=1, accepted_first_time=0
    )

    svg = surprises_chart(rows=[row], period=reports.Period(date(2025, 1, 1), date(2025, 1, 31)))

    assert ">Maximiliane Montgomery-Fe…</text>" in svg
    assert "<title>Maximiliane Montgomery-Featherstonehaugh: 1 surprise in 1 packet" in svg


# --- Queries -----------------------------------------------------------------------------

FEW = 2
MANY = 10 * FEW


def add_reps(leader, start: int, stop: int) -> None:
    """Reps ``start``..``stop``, each with two packets of two rounds, surprises in both."""
    for number in range(start, stop):
        rep = UserFactory(role=Role.SALES, full_name=f"Rep {number:04d}")
        for _ in range(2):
            packet = HandoffPacketFactory(filed_by=rep)
            first, second = item(packet, Kind.DELIVERABLE), item(packet, Kind.ASSUMPTION)
            for round_number, day in ((1, "2025-02-01"), (2, "2025-02-10")):
                review_round(
                    packet,
                    round=round_number,
                    decision=Decision.REQUEST_CHANGES if round_number == 1 else Decision.ACCEPT,
                    submitted=f"{day} 08:00",
                    reviewed=f"{day} 20:00",
                    verdicts={first: Verdict.UNCLEAR, second: Verdict.NOT_POSSIBLE},
                    reviewer=leader,
                )


@pytest.mark.parametrize("suffix", ["", "&format=csv"])
def test_the_number_of_queries_does_not_grow_with_the_data(
    as_leader, leader, suffix, django_assert_max_num_queries
):
    def measure() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = as_leader.get(URL + QUARTER + suffix)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    add_reps(leader, 0, FEW)
    with_few, content = measure()
    assert "Rep 0001" in content
    add_reps(leader, FEW, MANY)
    with_many, content = measure()
    assert "Rep 0019" in content

    assert with_many == with_few, f"{with_few} queries with {FEW} reps, {with_many} with {MANY}"
    # The domain, the session, the user, then the report's five reads (each possibly
    # preceded by django-tenants' SET search_path).
    with django_assert_max_num_queries(16):
        as_leader.get(URL + QUARTER + suffix)


def test_a_review_recorded_before_its_submission_counts_as_no_time_not_less(leader, alice):
    """Bad data (a clock, an import) must not show a negative turnaround anywhere."""
    from health.kpis.base import KpiScope
    from health.kpis.handoffs import median_review_turnaround_evidence
    from psops.ui.periods import Period

    packet = HandoffPacketFactory(filed_by=alice, submitted=True)
    review_round(
        packet,
        round=1,
        decision=Decision.REJECT,
        submitted="2026-03-10T10:00:00",
        reviewed="2026-01-29T10:00:00",  # 40 days before the submission
        verdicts={},
        reviewer=leader,
    )

    rounds, median = reports.review_turnaround(
        period=Period(start=date(2026, 1, 1), end=date(2026, 3, 31))
    )
    assert (rounds, median) == (1, 0)
    evidence = median_review_turnaround_evidence(date(2026, 3, 31), KpiScope(period_days=90))
    (row,) = evidence.rows
    days = [str(cell) for cell in row if str(cell).replace(".", "").lstrip("-").isdigit()]
    assert "0.0" in days and not any(day.startswith("-") for day in days), row
