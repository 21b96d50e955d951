"""An admin cannot change another person's email address; the person changes their own.

Globex's Noah is in no other journey. The admin opens Noah's page in Settings >
Users and finds role, manager and the rest, but no email field; Noah asks for a new
address on Sign-in and security and is told where the two confirmation links went.
"""

import re

from playwright.sync_api import expect

NEW_ADDRESS = "noah.novak@elsewhere.test"


def test_an_admin_finds_no_email_field_and_a_person_changes_their_own(people):
    admin = people("admin", slug="globex").sign_in()
    page = admin.page

    admin.goto("/settings/users/")
    page.get_by_role("link", name="Noah Novak").click()
    expect(page.get_by_role("heading", name="Noah Novak")).to_be_visible()
    expect(page.get_by_label("Role")).to_be_visible()
    expect(page.locator('input[name="email"], input[type="email"]')).to_have_count(0)
    admin.axe()
    admin.screenshot("own_email_admin_sees_no_email_field")

    noah = people("noah", slug="globex").sign_in()
    page = noah.page
    page.get_by_role("link", name=re.compile("Noah")).click()
    expect(page.get_by_role("heading", name="Sign-in and security")).to_be_visible()
    expect(page.get_by_text(f"You sign in with {noah.email}.")).to_be_visible()
    noah.axe()

    page.get_by_role("link", name="Change email address").click()
    expect(page.get_by_role("heading", name="Change email address")).to_be_visible()
    noah.axe()

    # A taken address is refused, and says so.
    with noah.watch.expecting(400):
        page.get_by_label("New email address").fill("mia@globex.test")
        page.get_by_role("button", name="Send confirmation links").click()
        expect(page.get_by_text("This email address is already in use.")).to_be_visible()

    page.get_by_label("New email address").fill(NEW_ADDRESS)
    page.get_by_role("button", name="Send confirmation links").click()
    page.wait_for_url(noah.url("/account/security/"))
    expect(page.get_by_text(f"We sent a confirmation link to {NEW_ADDRESS}")).to_be_visible()
    expect(page.get_by_text(f"Waiting for confirmation: change to {NEW_ADDRESS}")).to_be_visible()
    # Nothing changed yet: the page still names the old address.
    expect(page.get_by_text(f"You sign in with {noah.email}.")).to_be_visible()
    noah.axe()
    noah.watch.check()
    noah.screenshot("own_email_confirmation_sent")
