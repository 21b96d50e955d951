"""A person turns on a second factor in the browser, then signs in with it.

Globex's Mia is in no other journey, so this one neither needs nor disturbs their
data. The authenticator app is played by django-otp's own TOTP, fed the secret as
the setup page shows it in text.
"""

import base64
import re
import time

from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.e2e.stack import PASSWORD


def app_code(secret_text: str, *, at: float) -> str:
    """What an authenticator app holding ``secret_text`` shows at time ``at``."""
    secret = secret_text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = at
    return f"{totp.token():06d}"


def test_a_person_turns_on_a_second_factor_and_signs_in_with_it(people):
    mia = people("mia", slug="globex").sign_in()
    page = mia.page

    page.get_by_role("link", name=re.compile("Mia")).click()
    expect(page.get_by_role("heading", name="Sign-in and security")).to_be_visible()
    expect(page.get_by_text("Off.")).to_be_visible()
    mia.axe()

    page.get_by_role("link", name="Set up second factor").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    mia.axe()

    # A mistyped code is refused, says so, and turns nothing on.
    with mia.watch.expecting(400):
        page.get_by_label("Code shown by the app").fill("000000")
        page.get_by_role("button", name="Turn on second factor").click()
        expect(page.get_by_text("That code is not right")).to_be_visible()
    mia.axe()
    # django-otp makes the next try after a wrong code wait a second (then 2, 4, ...).
    page.wait_for_timeout(1500)

    page.get_by_label("Code shown by the app").fill(app_code(secret, at=time.time()))
    page.get_by_role("button", name="Turn on second factor").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    mia.axe()
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("On.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(mia.url("/accounts/login/"))
    page.wait_for_load_state()
    page.get_by_label("Email").fill(mia.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    mia.axe()

    # The code of the next 30-second step: the one used for the setup is spent.
    page.get_by_label("Code from your authenticator app").fill(
        app_code(secret, at=time.time() + 30)
    )
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(mia.url("/"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    mia.watch.check()
    mia.screenshot("second_factor_signed_in")
