"""The product the way people use it, in a browser, as one story told in order.

A deal closes: sales files the handoff (1), services reviews it, sends it back
once and accepts it (2), the consultant works the engagement (3), the risk scan
flags the scaling wall the client chose to defer and the leader acts on it (4),
the team answers its check-ins and pulse (5), and another organization sees
none of it (6). Each journey starts from where the previous one left the data,
so they run in this file's order (pytest's default); run alone, a later journey
says which one it needs.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.stack import ACME_CLIENT, GLOBEX_CLIENT, PULSE_TEAM

DEAL = "Northwind order platform rollout"
CLIENT = "Northwind Traders"
SPONSOR = "Priya Patel"
DELIVERABLE = "Nightly sync of all order data into the warehouse"
CUSTOM_ITEM = "Connector for the client's legacy ERP"
CUSTOM_NOTE = "No ERP connector exists: about 15 days of custom work."
PAIN_POINT = "Order sync falls behind at month end"
RECOMMENDATION = "Partition the order sync by region"
DEFER_REASON = "Budget frozen until the next fiscal year"
DECIDER, DECIDER_ROLE = "Dana Whitfield", "VP Sales"


@dataclass
class Story:
    """What one journey leaves for the next: where to find it."""

    packet_url: str = ""
    engagement_url: str = ""
    deferred_fix: str = ""

    def needs(self, attribute: str, journey: str):
        value = getattr(self, attribute)
        if not value:
            pytest.fail(f"needs journey {journey!r} to have run first (run the whole file)")
        return value


@pytest.fixture(scope="module")
def story() -> Story:
    return Story()


def choose(page: Page, group, option: str) -> None:
    """Pick ``option`` in a radio group (a fieldset or radiogroup locator)."""
    group.get_by_label(option, exact=True).check()


def arrived(page: Page, heading: str | re.Pattern) -> None:
    """The page a click led to has loaded: its main heading says ``heading``."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def open_and_check(person, link, heading: str | re.Pattern) -> None:
    """Follow ``link`` to the page whose heading is ``heading`` and run axe on it."""
    link.click()
    arrived(person.page, heading)
    person.axe()


def fieldset(page: Page, legend: str):
    return page.locator("fieldset").filter(has=page.locator("legend", has_text=legend))


def test_1_sales_files_a_handoff_packet(people, story):
    sales = people("sales")
    sales.goto("/accounts/login/")
    sales.axe()
    sales.sign_in()
    page = sales.page
    arrived(page, "Hello, Sam Sales")
    sales.axe()
    open_and_check(sales, page.get_by_role("link", name="Handoffs", exact=True), "My handoffs")
    open_and_check(sales, page.get_by_role("link", name="File a handoff"), "File a handoff")

    page.get_by_label("Deal name").fill(DEAL)
    page.get_by_label("New client").fill(CLIENT)
    page.get_by_label("Contract value").fill("180000")
    page.get_by_label("Signed").fill(timezone.localdate().isoformat())
    page.get_by_label("Requested start").fill(
        (timezone.localdate() + timedelta(days=14)).isoformat()
    )
    page.get_by_label("Engagement kind").select_option(label="Implementation project")
    page.get_by_label("The customer's goals, in their words").fill(
        "Stop losing orders between the shop and the warehouse."
    )
    page.get_by_label("Success criteria").fill("Every order in the warehouse within an hour.")
    page.locator("[name=stakeholders-0-name]").fill(SPONSOR)
    page.locator("[name=stakeholders-0-title]").fill("COO")
    page.locator("[name=stakeholders-0-email]").fill("priya@northwind.example")
    page.locator("[name=stakeholders-0-role]").select_option(label="Sponsor")
    page.locator("[name=items-0-kind]").select_option(label="Deliverable")
    page.locator("[name=items-0-description]").fill(DELIVERABLE)
    page.locator("[name=items-1-kind]").select_option(label="Custom requirement")
    page.locator("[name=items-1-description]").fill(CUSTOM_ITEM)
    # More rows come in place, focused; one left empty is not saved.
    expect(page.get_by_text("Save to get more empty rows")).to_have_count(0)
    page.get_by_role("button", name="Add another item").click()
    expect(page.locator("[name=items-3-kind]")).to_be_focused()
    expect(page.get_by_role("group", name="Item 4")).to_be_visible()
    page.get_by_role("button", name="Save").click()

    arrived(page, DEAL)
    story.packet_url = page.url
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)

    page.get_by_role("link", name="Handoffs", exact=True).click()
    arrived(page, "My handoffs")
    row = page.get_by_role("row").filter(has_text=DEAL)
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text(CLIENT)
    sales.axe()
    sales.screenshot("journey-1-sales-my-handoffs")


def test_2_leader_reviews_sales_resubmits_leader_accepts(people, story):
    packet_url = story.needs("packet_url", "test_1_sales_files_a_handoff_packet")
    leader = people("leader").sign_in()
    page = leader.page
    page.get_by_role("link", name="Handoffs", exact=True).click()
    arrived(page, "Handoffs")
    queue = page.get_by_role("region", name="Review queue", exact=True)
    open_and_check(leader, queue.get_by_role("link", name=DEAL), DEAL)
    open_and_check(
        leader,
        page.get_by_role("link", name="Review", exact=True),
        re.compile(rf"^Review {DEAL}\s+round 1$"),
    )

    _review(
        page,
        custom_verdict="Needs custom work",
        decision="Request changes",
        comments="Price the ERP connector in the SOW, then resubmit.",
    )
    expect(page).to_have_url(packet_url)
    expect(page.get_by_text("Changes requested").first).to_be_visible()
    expect(page.get_by_text(CUSTOM_NOTE)).to_be_visible()

    sales = people("sales").sign_in()
    sales.goto(_path(packet_url))
    expect(sales.page.get_by_text(CUSTOM_NOTE)).to_be_visible()
    sales.page.get_by_role("link", name="Edit").click()
    arrived(sales.page, f"Edit {DEAL}")
    sales.page.locator("[name=items-1-description]").fill(
        f"{CUSTOM_ITEM}: priced as 15 days of custom work in the SOW"
    )
    sales.page.get_by_role("button", name="Save").click()
    arrived(sales.page, DEAL)
    sales.page.get_by_role("button", name="Resubmit").click()
    expect(sales.page.get_by_role("button", name="Resubmit")).to_have_count(0)
    expect(sales.page.get_by_text("Submitted", exact=True).first).to_be_visible()

    leader.goto(_path(packet_url))
    expect(page.get_by_text("priced as 15 days of custom work")).to_be_visible()
    page.get_by_role("link", name="Review", exact=True).click()
    arrived(page, re.compile(rf"^Review {DEAL}\s+round 2$"))
    # Accepting without naming a lead is refused: the reason is at the top, focused,
    # and links to the field.
    with leader.watch.expecting(400):
        _review(page, custom_verdict="In scope", decision="Accept")
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose who leads the engagement.")
    leader.axe()
    _review(page, custom_verdict="In scope", decision="Accept", lead="Casey Consultant")

    # Accepting lands on the new engagement, with the packet's people and kickoff work.
    expect(page).to_have_url(re.compile(r"/engagements/\d+/$"))
    story.engagement_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(DEAL)
    expect(page.get_by_role("link", name=CLIENT)).to_be_visible()
    expect(page.get_by_role("region", name="Summary")).to_contain_text("Casey Consultant")
    stakeholders = page.get_by_role("region", name="Stakeholders")
    expect(stakeholders).to_contain_text(SPONSOR)
    expect(stakeholders).to_contain_text("Sponsor")
    kickoff = (
        page.get_by_role("region", name="Follow-ups")
        .get_by_role("row")
        .filter(has_text="Kickoff call")
    )
    expect(kickoff).to_contain_text(f"with {SPONSOR}")
    expect(kickoff).to_contain_text("Casey Consultant")
    expect(kickoff).to_contain_text("Open")
    leader.axe()
    leader.screenshot("journey-2-leader-accepted-engagement")


def _review(
    page: Page, *, custom_verdict: str, decision: str, comments: str = "", lead: str = ""
) -> None:
    items = page.locator("fieldset.repeat")
    deliverable = items.filter(has_text=DELIVERABLE)
    choose(page, deliverable.get_by_role("radiogroup"), "In scope")
    custom = items.filter(has_text=CUSTOM_ITEM)
    choose(page, custom.get_by_role("radiogroup"), custom_verdict)
    if custom_verdict != "In scope":
        custom.get_by_label("Note").fill(CUSTOM_NOTE)
    for row in page.locator("fieldset.checklist-row").all():
        row.get_by_label("2 yes").check()
    choose(page, fieldset(page, "Decision"), decision)
    if lead:
        page.get_by_label("Engagement lead").select_option(label=lead)
    page.get_by_label("Comments").fill(comments)
    page.get_by_role("button", name="Record decision").click()


def test_3_consultant_works_the_engagement(people, story):
    engagement_url = story.needs("engagement_url", "test_2_leader_reviews_sales_resubmits_...")
    back_on_the_engagement = re.compile(rf"^{re.escape(engagement_url)}(#[\w-]+)?$")
    consultant = people("consultant").sign_in()
    page = consultant.page
    arrived(page, "Good to see you, Casey Consultant")
    consultant.axe()
    open_and_check(
        consultant, page.get_by_role("link", name="Engagements", exact=True), "Engagements"
    )
    page.get_by_role("link", name=DEAL).click()
    arrived(page, DEAL)
    expect(page).to_have_url(engagement_url)
    # The lead reads what was sold on the engagement (the custom item was priced in the
    # second round, so nothing is flagged) and opens the packet, read-only, in one click.
    sold = page.get_by_role("region", name="What was sold")
    expect(sold).to_contain_text("Every order in the warehouse within an hour.")
    expect(sold).to_contain_text(CUSTOM_ITEM)
    expect(sold.locator("li.needs-attention")).to_have_count(0)
    consultant.axe()
    sold.get_by_role("link", name=re.compile("Handoff packet")).click()
    arrived(page, DEAL)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.go_back()
    arrived(page, DEAL)

    # Quick log (htmx): a scaling pain point with its numbers gets its breach date.
    quick = page.locator("form.quick-log")
    quick.get_by_label("Pain point").fill(PAIN_POINT)
    quick.get_by_label("Category").select_option(label="Scaling")
    quick.get_by_label("Severity").select_option(label="High")
    quick.get_by_text("Scaling numbers").click()
    page.evaluate("window.journeyMarker = 'same page'")
    # Without its numbers the log is refused (400): htmx swaps the errors in, input kept.
    with consultant.watch.expecting(400):
        quick.get_by_role("button", name="Log pain point").click()
        expect(
            quick.get_by_text("A scaling pain point needs the metric that grows.")
        ).to_be_visible()
    expect(quick.get_by_label("Pain point")).to_have_value(PAIN_POINT)
    assert page.evaluate("window.journeyMarker") == "same page"
    consultant.axe()  # the quick log with its errors
    quick.get_by_label("Metric name").fill("Orders per night")
    quick.get_by_label("Metric unit").fill("orders")
    quick.get_by_label("Current value").fill("800000")
    quick.get_by_label("Capacity").fill("1000000")
    quick.get_by_label("Growth / month (%)").fill("10")
    page.evaluate("window.journeyMarker = 'same page'")
    quick.get_by_role("button", name="Log pain point").click()
    logged = page.get_by_role("region", name="Pain points").get_by_role("status")
    expect(logged).to_contain_text(PAIN_POINT)
    expect(logged).to_contain_text("capacity reached in about 2.3 months")
    # 800,000 growing 10 % a month passes 1,000,000 in ln(1.25)/ln(1.1) = 2.34 months.
    around = re.search(r"around (\d{1,2} \w{3} \d{4})", logged.inner_text())
    assert around, logged.inner_text()
    breach = datetime.strptime(around[1], "%d %b %Y").replace(tzinfo=UTC).date()
    today = timezone.localdate()
    assert today + timedelta(days=65) <= breach <= today + timedelta(days=78)
    assert page.evaluate("window.journeyMarker") == "same page"
    # The timeline refreshes itself (htmx) with the new entry.
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text(f"Pain point logged: {PAIN_POINT}")

    # A recommendation for it, deferred by the client with a reason.
    recommendations = page.get_by_role("region", name="Recommendations")
    open_and_check(
        consultant, recommendations.get_by_role("link", name="Add"), f"New recommendation on {DEAL}"
    )
    page.get_by_label("What PS advised").fill(RECOMMENDATION)
    page.get_by_label("Rationale").fill("Each region's orders fit the nightly window on its own.")
    page.get_by_label("Pain point").select_option(label=PAIN_POINT)
    page.get_by_role("button", name="Record recommendation").click()
    expect(page).to_have_url(back_on_the_engagement)
    recommendation = page.get_by_role("region", name="Recommendations").locator("li")
    recommendation.filter(has_text=RECOMMENDATION).get_by_role(
        "link", name="Record decision"
    ).click()
    arrived(page, f"Decision on “{RECOMMENDATION}”")
    consultant.axe()
    page.get_by_label("Decision", exact=True).select_option(label="Deferred")
    with consultant.watch.expecting(400):
        page.get_by_role("button", name="Record decision").click()
        expect(page.get_by_text("Say why it was deferred.", exact=True)).to_be_visible()
    # The summary at the top takes the focus and links to the field.
    expect(page.locator(".error-summary")).to_be_focused()
    page.get_by_role("link", name="Reason: Say why it was deferred.").click()
    expect(page.get_by_label("Reason")).to_be_focused()
    consultant.axe()  # the form with its error
    page.get_by_label("Decided by").fill(DECIDER)
    page.get_by_label("Their role").fill(DECIDER_ROLE)
    page.get_by_label("Reason").fill(DEFER_REASON)
    page.get_by_role("button", name="Record decision").click()
    expect(page).to_have_url(back_on_the_engagement)
    deferred = page.get_by_role("region", name="Recommendations").locator("li")
    expect(deferred.filter(has_text=RECOMMENDATION)).to_contain_text("Deferred")
    expect(deferred.filter(has_text=RECOMMENDATION)).to_contain_text(DEFER_REASON)

    # A kickoff follow-up marked done in place: no page load.
    page.evaluate("window.journeyMarker = 'same page'")
    followups = page.get_by_role("region", name="Follow-ups")
    first_open = followups.get_by_role("row").filter(has_text="Open").first
    title = first_open.locator("td").first.inner_text().splitlines()[0]
    first_open.get_by_role("button", name=re.compile("Mark done")).click()
    done_row = followups.get_by_role("row").filter(has_text=title)
    expect(done_row).to_contain_text("Done")
    expect(done_row.get_by_role("button", name=re.compile("Mark done"))).to_have_count(0)
    expect(timeline).to_contain_text(f"Follow-up done: {title}")
    assert page.evaluate("window.journeyMarker") == "same page"
    story.deferred_fix = RECOMMENDATION
    consultant.axe()
    consultant.screenshot("journey-3-consultant-engagement")


def test_4_risk_scan_and_the_leader_acts(people, story, stack):
    engagement_url = story.needs("engagement_url", "test_2_leader_reviews_sales_resubmits_...")
    story.needs("deferred_fix", "test_3_consultant_works_the_engagement")
    stack.manage("scan", "acme")

    leader = people("leader").sign_in()
    page = leader.page
    arrived(page, "PS dashboard")
    risks = page.get_by_role("region", name=re.compile("Open risks"))
    scaling = risks.get_by_role("row").filter(has_text=PAIN_POINT)
    expect(scaling).to_contain_text("Scaling")
    expect(scaling).to_contain_text(f"{DECIDER} ({DECIDER_ROLE})")
    expect(scaling).to_contain_text(DEFER_REASON)
    expect(scaling.get_by_role("link", name=f"{CLIENT}: {DEAL}")).to_have_attribute(
        "href", _path(engagement_url)
    )
    leader.axe()

    # The filters apply to the open risks too: the scaling risk is an implementation
    # project's, so "Ongoing success" leaves it out, and the panel says what it omits.
    page.get_by_label("Engagement kind").select_option(label="Ongoing success")
    expect(risks).to_contain_text("stuck handoff reviews, which belong to no engagement yet")
    expect(risks.get_by_role("row").filter(has_text=PAIN_POINT)).to_have_count(0)
    page.get_by_label("Engagement kind").select_option(label="Both kinds")
    expect(scaling).to_be_visible()

    # No impossible number: the review turnaround's evidence has no negative duration.
    page.get_by_role("link", name=re.compile(r"Median review turnaround")).click()
    turnaround = page.locator("#kpi-evidence")
    expect(turnaround).to_contain_text("how it was computed")
    cells = turnaround.locator("td").all_inner_texts()
    assert cells and not [cell for cell in cells if re.fullmatch(r"-\d+(\.\d+)?", cell)], cells

    # A KPI tile's evidence opens in place and names the same pain point.
    page.get_by_role("link", name=re.compile(r"Scaling walls within \d+ days")).click()
    evidence = page.locator("#kpi-evidence")
    expect(evidence).to_contain_text(PAIN_POINT)
    leader.axe()

    scaling.get_by_label(re.compile("Acknowledgement note")).fill(
        "Raised with Dana; revisit at the Q3 budget review."
    )
    scaling.get_by_role("button", name="Acknowledge").click()
    expect(scaling).to_contain_text("Acknowledged")
    expect(scaling).to_contain_text("Lena Leader")
    expect(scaling.get_by_role("button", name="Acknowledge")).to_have_count(0)
    page.get_by_role("link", name="Risks", exact=True).click()
    arrived(page, "Risks")
    listed = page.get_by_role("row").filter(has_text=PAIN_POINT)
    expect(listed).to_contain_text("Acknowledged")
    expect(listed).to_contain_text("revisit at the Q3 budget review")
    leader.axe()

    # Acknowledged is not resolved: the dashboard keeps showing it, now apart from
    # the new ones, folded under "Acknowledged, still open".
    page.get_by_role("link", name="Home", exact=True).click()
    arrived(page, "PS dashboard")
    open_risks = page.get_by_role("region", name=re.compile("Open risks"))
    expect(open_risks).to_contain_text("Nothing new: every open risk has been acknowledged.")
    open_risks.get_by_text(re.compile(r"Acknowledged, still open \(1\)")).click()
    row = open_risks.get_by_role("row")
    expect(row.filter(has_text=PAIN_POINT)).to_contain_text("Acknowledged")
    leader.screenshot("journey-4-leader-dashboard")


def _file_checkin_and_pulse(person) -> None:
    page = person.page
    open_and_check(person, page.get_by_role("link", name="Check-in", exact=True), "Weekly check-in")
    form = page.locator("form.checkin-form")
    for group in form.locator("fieldset").all():
        group.get_by_role("radio").nth(1).check()
    form.get_by_label("Wins").fill("Shipped the region split prototype.")
    form.get_by_role("button", name="File my check-in").click()
    expect(page.get_by_role("heading", name="Your check-in for this week")).to_be_visible()

    open_and_check(person, page.get_by_role("link", name="Pulse", exact=True), "Anonymous pulse")
    form = page.locator("form.pulse-form")
    for group in form.locator("fieldset").all():
        group.get_by_role("radio").nth(2).check()
    form.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name=re.compile("You answered this week"))).to_be_visible()


def test_5_team_answers_and_the_leader_sees_only_enough(people, stack):
    *first, last = PULSE_TEAM
    for local_part in first:
        _file_checkin_and_pulse(people(local_part).sign_in())

    # "A week later" (the week just closed) with fewer than the minimum answered:
    # participation only, no averages, no pulse result. Olga, a leader, manages
    # nobody, so her summary counts everyone but her.
    olga = people("olga").sign_in()
    olga.goto("/checkins/summary/", later=True)
    week_row = olga.page.get_by_role("row").nth(1)
    # Acme has 7 active people: admin, two leaders, sales and three consultants.
    expect(week_row.locator("td").first).to_have_text(re.compile(r"^2 of 6\b"))
    expect(week_row).to_contain_text("Not shown: fewer than 3 people outside your team")
    leader = people("leader").sign_in()
    page = leader.page
    leader.goto("/pulse/results/", later=True)
    newest = page.locator("section.pulse-week").first
    expect(newest).to_contain_text("Fewer than 3 answers: not shown")

    _file_checkin_and_pulse(people(last).sign_in())

    olga.goto("/checkins/summary/", later=True)
    week_row = olga.page.get_by_role("row").nth(1)
    expect(week_row.locator("td").first).to_have_text(re.compile(r"^3 of 6\b"))
    expect(week_row).not_to_contain_text("Not shown")
    expect(week_row.locator("td").nth(1)).to_have_text("2.0")
    olga.axe()
    # The admin's work is settings and people, not how anyone's week went.
    admin = people("admin").sign_in()
    admin.goto("/checkins/summary/", later=True, status=403)
    # The leader reads all three check-ins by name on the team page: the summary
    # minus that page must not give anyone away, so it shows the leader nothing.
    leader.goto("/checkins/summary/", later=True)
    week_row = page.get_by_role("row").nth(1)
    expect(week_row).to_contain_text("No check-ins outside your team")
    expect(week_row).not_to_contain_text("2.0")
    leader.goto("/pulse/results/", later=True)
    newest = page.locator("section.pulse-week").first
    # Scores are shown at the minimum; comments wait for twice as many answers.
    expect(newest).not_to_contain_text("Fewer than 3 answers: not shown")
    # Everyone picked the middle score: 3 answers averaging 3.0 on each scale.
    expect(newest.locator("tr.pulse-overall td")).to_have_text(["3", "3.0", "3.0", "3.0"])
    leader.axe()
    leader.goto("/", later=True)
    expect(page.get_by_role("region", name="Team pulse")).to_contain_text("3 answers")
    leader.screenshot("journey-5-leader-pulse")


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_6_another_tenant_sees_nothing_of_acme(people, story, stack):
    engagement_url = story.needs("engagement_url", "test_2_leader_reviews_sales_resubmits_...")
    engagement_path, packet_path = _path(engagement_url), _path(story.packet_url)
    acme = people("leader").sign_in()
    acme.goto(engagement_path)
    arrived(acme.page, DEAL)

    # Same browser: globex's host does not receive acme's cookie and knows no such session.
    globex = people("leader", slug="globex", context=acme.context)
    globex.goto("/")
    expect(globex.page).to_have_url(re.compile(r"globex\.localhost:\d+/accounts/login/"))
    acme_session = next(c for c in acme.context.cookies() if c["name"] == "sessionid")
    acme.context.add_cookies(
        [{"name": "sessionid", "value": acme_session["value"], "url": globex.url("/")}]
    )
    globex.goto(engagement_path)
    expect(globex.page).to_have_url(re.compile(r"globex\.localhost:\d+/accounts/login/"))
    expect(globex.page.locator("body")).not_to_contain_text(CLIENT)

    # Globex's own leader sees Globex's work and none of acme's, even by acme's ids.
    globex.sign_in()
    for path in ("/", "/engagements/", "/handoffs/", "/risks/", "/clients/"):
        globex.goto(path)
        body = globex.page.locator("body")
        for acme_text in (CLIENT, DEAL, PAIN_POINT, SPONSOR, ACME_CLIENT):
            expect(body).not_to_contain_text(acme_text)
    globex.goto("/engagements/")
    expect(globex.page.get_by_role("link", name=re.compile(GLOBEX_CLIENT)).first).to_be_visible()
    # Acme's ids are ids globex does not have (acme had work before the story).
    for acme_path in (engagement_path, packet_path):
        globex.goto(acme_path, status=404)
        expect(globex.page.locator("body")).not_to_contain_text(CLIENT)

    # And acme's tab is still acme's leader.
    acme.page.reload()
    arrived(acme.page, DEAL)
    globex.goto("/engagements/")
    globex.screenshot("journey-6-globex-engagements")


def test_7_an_admin_changes_a_role_and_finds_it_on_the_audit_trail(people, stack):
    """Olga is moved from PS leader to consultant; the audit trail shows who did it, when,
    and the role before and after; Olga is told; a leader reads business changes there
    but not this one; globex's admin sees none of acme's. Olga is a leader again after."""
    admin = people("admin").sign_in()
    admin.goto("/settings/users/")
    admin.page.get_by_role("link", name="Olga Ortiz").click()
    arrived(admin.page, "Olga Ortiz")
    admin.page.get_by_label("Role").select_option(label="Consultant")
    admin.page.get_by_role("button", name="Save").click()
    expect(admin.page.locator("body")).to_contain_text("Consultant")

    # The edit page links to Olga's history on the audit trail.
    admin.page.get_by_role("link", name="Olga Ortiz").click()
    arrived(admin.page, "Olga Ortiz")
    open_and_check(admin, admin.page.get_by_role("link", name="History"), "Audit trail")
    newest = admin.page.locator(".audit-entry").first
    expect(newest).to_contain_text("Ada Admin changed user")
    expect(newest).to_contain_text("Olga Ortiz")
    expect(newest.locator(".audit-changes")).to_contain_text("Role")
    expect(newest.locator(".audit-before")).to_contain_text("PS leader")
    expect(newest.locator(".audit-after")).to_contain_text("Consultant")
    expect(newest.locator(".audit-meta")).to_contain_text("POST /settings/users/")
    admin.screenshot("journey-7-audit-olga-history")

    # The whole trail, filtered by person through the form (htmx swaps the results).
    admin.goto("/settings/audit/")
    admin.page.get_by_label("Person").select_option(label="Ada Admin")
    admin.page.get_by_role("button", name="Show").click()
    expect(admin.page).to_have_url(re.compile(r"person=\d+"))
    expect(admin.page.locator(".audit-entry").first).to_contain_text("Ada Admin changed user")
    admin.axe()
    admin.page.set_viewport_size({"width": 390, "height": 844})
    assert admin.page.evaluate("document.documentElement.scrollWidth") <= 390
    admin.screenshot("journey-7-audit-phone")
    admin.page.set_viewport_size({"width": 1280, "height": 900})

    # Olga finds out from her notifications, not only by email.
    olga = people("olga").sign_in()
    olga.goto("/notifications/")
    expect(olga.page.locator("body")).to_contain_text("Ada Admin changed your account")
    expect(olga.page.locator("body")).to_contain_text("Consultant")

    # A leader reads the engagements' changes but not people administration.
    leader = people("leader").sign_in()
    leader.goto("/settings/audit/")
    arrived(leader.page, "Audit trail")
    expect(leader.page.locator(".audit-entry").first).to_be_visible()
    expect(leader.page.locator("#audit-results")).not_to_contain_text("Olga Ortiz")
    leader.goto("/settings/audit/?type=accounts_user", status=400)
    leader.axe()

    # Another organization's admin sees nothing of acme's trail.
    globex = people("admin", slug="globex").sign_in()
    # (globex's demo people share acme's names, not their addresses or this change).
    globex.goto("/settings/audit/")
    expect(globex.page.locator(".audit-entry").first).to_be_visible()
    expect(globex.page.locator("#audit-results")).not_to_contain_text(DEAL)
    globex.goto("/settings/audit/?type=accounts_user")
    expect(globex.page.locator("#audit-results")).to_contain_text("@globex.test")
    expect(globex.page.locator("#audit-results")).not_to_contain_text("@acme.test")
    demoted = globex.page.locator(".audit-before", has_text="PS leader")
    expect(demoted).to_have_count(0)

    # Olga is a leader again for the journeys after this one.
    admin.goto("/settings/users/")
    admin.page.get_by_role("link", name="Olga Ortiz").click()
    admin.page.get_by_label("Role").select_option(label="PS leader")
    admin.page.get_by_role("button", name="Save").click()
    expect(admin.page.locator("body")).to_contain_text("PS leader")
