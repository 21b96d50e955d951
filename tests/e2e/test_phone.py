"""Every main page on a phone: 390 px wide, no sideways scrolling, a menu that folds.

Runs after the journeys (file order), so the pages hold their story: the accepted
handoff, the engagement with its pain points and follow-ups, the risks.
"""

import io
import re

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def one_page_pdf() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=612, height=792)
    writer.write(out)
    return out.getvalue()


PAGES = {
    "leader": [
        "/",
        "/engagements/",
        "/handoffs/",
        "/handoffs/report/",
        "/risks/",
        "/clients/",
        "/followups/mine/",
        "/checkins/",
        "/checkins/summary/",
        "/pulse/results/",
        "/one-on-ones/",
        "/notifications/",
        "/account/security/",
        "/settings/audit/",
    ],
    "consultant": ["/", "/engagements/", "/followups/mine/", "/checkins/", "/pulse/"],
    "sales": ["/", "/handoffs/", "/handoffs/new/", "/engagements/"],
    "admin": [
        "/",
        "/settings/users/",
        "/settings/organization/",
        "/settings/kpis/",
        "/settings/email/",
        "/settings/api-tokens/",
        "/settings/audit/",
        "/settings/audit/?type=accounts_user",
    ],
}


def on_a_phone(person):
    person.page.set_viewport_size(PHONE)
    return person


# "1 days", "1 answers": a count whose noun was not put in the singular.
WRONG_PLURAL = re.compile(
    r"(?<![\d.,])1 (days|weeks|hours|answers|items|people|packets|check-ins|follow-ups|"
    r"risks|engagements|problems|rounds|surprises)\b"
)


def reads_right(person) -> None:
    text = person.page.locator("main").inner_text()
    wrong = WRONG_PLURAL.findall(text)
    assert not wrong, f"{person.page.url} says '1 {wrong[0]}'"


def fits(person) -> None:
    """No sideways scrolling: the page is no wider than the screen."""
    reads_right(person)
    width, inner = person.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width <= inner:
        return
    # Name the widest elements that stick out, for the failure message.
    culprits = person.page.evaluate(
        """(inner) => [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > inner + 1)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
                         `${el.className ? "." + String(el.className).split(" ").join(".") : ""}` +
                         ` (${Math.round(el.getBoundingClientRect().right)} px)`)
            .slice(-8)""",
        inner,
    )
    raise AssertionError(f"{person.page.url} is {width} px wide on a {inner} px screen: {culprits}")


def first_link(person, pattern: str) -> str | None:
    links = person.page.locator("main a[href]").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    return next((href for href in links if re.fullmatch(pattern, href)), None)


def test_the_menu_folds_on_a_phone_and_opens_with_its_button(people):
    leader = on_a_phone(people("leader").sign_in())
    page = leader.page
    nav = page.get_by_role("navigation", name="Main")
    toggle = page.get_by_role("button", name="Menu")

    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Engagements")).to_be_visible()
    box = nav.get_by_role("link", name="Engagements").bounding_box()
    assert box is not None and box["height"] >= 44, box
    fits(leader)
    leader.axe()
    nav.get_by_role("link", name="Risks").click()
    expect(page).to_have_url(re.compile(r"/risks/$"))
    leader.screenshot("phone-menu-open")


def test_every_main_page_fits_a_phone(people):
    for local_part, paths in PAGES.items():
        person = on_a_phone(people(local_part).sign_in())
        for path in paths:
            person.goto(path)
            fits(person)
            person.axe()
        if local_part == "leader":
            # The pages of one engagement and one packet, as the story left them.
            person.goto("/engagements/")
            engagement = first_link(person, r"/engagements/\d+/")
            person.goto("/handoffs/")
            packet = first_link(person, r"/handoffs/\d+/")
            assert engagement and packet
            for path in (engagement, packet):
                person.goto(path)
                fits(person)
                person.axe()
                person.screenshot(f"phone-{path.strip('/').replace('/', '-')}")
        person.goto("/")
        person.screenshot(f"phone-{local_part}-home")


def test_a_handoff_filed_and_reviewed_on_a_phone(people):
    """The two longest forms, at 390 px: sales files a packet, a leader opens its review."""
    sales = on_a_phone(people("sales").sign_in())
    page = sales.page
    sales.goto("/handoffs/new/")
    # A form with an error cannot keep a chosen file: it says so at the SOW field.
    page.get_by_label("Deal name").fill("Fabrikam phone pilot")
    page.get_by_label("SOW").set_input_files(
        {"name": "fabrikam-sow.pdf", "mimeType": "application/pdf", "buffer": one_page_pdf()}
    )
    with sales.watch.expecting(400):
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text(
        "fabrikam-sow.pdf was not saved because of the other errors on this page"
    )
    sales.axe()
    page.get_by_label("New client").fill("Fabrikam")
    page.get_by_label("Success criteria").fill("Field staff log visits from their phones.")
    page.locator("[name=stakeholders-0-name]").fill("Ravi Rao")
    page.locator("[name=stakeholders-0-role]").select_option(label="Sponsor")
    page.locator("[name=items-0-kind]").select_option(label="Deliverable")
    page.locator("[name=items-0-description]").fill("Mobile visit log")
    page.get_by_role("button", name="Add another item").click()
    fits(sales)
    sales.axe()
    sales.screenshot("phone-handoff-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam phone pilot")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted", exact=True).first).to_be_visible()
    packet_path = re.search(r"/handoffs/\d+/", page.url)[0]

    leader = on_a_phone(people("leader").sign_in())
    leader.goto(f"{packet_path}review/")
    expect(leader.page.get_by_role("complementary", name="What was sold")).to_contain_text(
        "Field staff log visits from their phones."
    )
    fits(leader)
    leader.axe()
    leader.screenshot("phone-review")
    leader.page.set_viewport_size({"width": 1280, "height": 900})
    leader.goto(f"{packet_path}review/")
    leader.screenshot("desktop-review")


def test_long_lists_come_in_pages_that_fit_a_phone(people, stack):
    """The consultant's engagements ten at a time (htmx), a KPI's evidence 50 rows at
    a time: their page links work and fit at 390 px."""
    consultant = on_a_phone(people("consultant").sign_in())
    stack.manage("many", "acme", consultant.email)
    consultant.goto("/")
    page = consultant.page
    section = page.locator("#my-engagements")
    expect(section.get_by_role("navigation", name="My engagements pages")).to_be_visible()
    first = section.locator("tbody tr").first.inner_text()
    section.get_by_role("link", name=re.compile("Next")).click()
    expect(section.get_by_text(re.compile(r"Page 2 of \d+"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"engagements_page=2"))
    assert section.locator("tbody tr").first.inner_text() != first
    fits(consultant)
    consultant.axe()
    consultant.screenshot("phone-my-engagements-page-2")

    leader = on_a_phone(people("leader").sign_in())
    leader.goto("/kpis/median_days_to_resolve/evidence/")
    nav = leader.page.get_by_role("navigation", name="Evidence pages")
    expect(nav).to_contain_text("Rows 1\N{EN DASH}50")
    nav.get_by_role("link", name="Next 50").click()
    expect(leader.page.get_by_role("navigation", name="Evidence pages")).to_contain_text("Rows 51")
    fits(leader)
    leader.axe()
    leader.screenshot("phone-evidence-page-2")
