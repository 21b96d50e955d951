"""Browser journeys: Playwright driving Debian's Chromium against the real stack.

Every page a journey visits is watched (``PageWatch``): a JavaScript error, a
console error, a failed request or an HTTP error response fails the test, and
so does a page without a title or a form field without a label, checked on
every load and after every htmx swap. ``Person.axe()`` runs axe-core (installed
from the npm registry into node_modules, served to the page by the test) and
fails on serious or critical violations.
"""

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.stack import (
    ARTIFACTS,
    BASE_DIR,
    ORGANIZATIONS,
    PASSWORD,
    Stack,
    start_of_next_week,
)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
AXE_SCRIPT = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__browser-tests__/axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# Runs in every page before its own scripts: reports fields without a label and a
# page without its own title (only the site's "PS Ops" default), on load and again
# after every htmx swap.
PAGE_AUDIT = """
(() => {
  const fields = 'input:not([type=hidden]):not([type=submit]):not([type=button])'
    + ':not([type=reset]):not([type=image]), select, textarea';
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (ids.some((id) => (document.getElementById(id)?.textContent || '').trim())) return true;
    return Array.from(el.labels || []).some((label) => label.textContent.trim());
  };
  const audit = () => {
    const problems = [];
    const ownTitle = document.title.split(' · ')[0].trim();
    if (!ownTitle || ownTitle === 'PS Ops') {
      problems.push(`the page has no title of its own: "${document.title}"`);
    }
    for (const el of document.querySelectorAll(fields)) {
      if (!named(el)) problems.push(`field without a label: ${el.outerHTML.slice(0, 120)}`);
    }
    if (problems.length) window.psopsAuditProblems(location.href, problems);
  };
  document.addEventListener('DOMContentLoaded', audit);
  document.addEventListener('htmx:afterSettle', audit);
})();
"""


class PageWatch:
    """Collects what a user would see go wrong on a page, to fail the test with it."""

    def __init__(self, page: Page):
        self.page = page
        self.problems: list[str] = []
        self.expected_statuses: set[int] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message) -> None:
        # Chromium also logs every HTTP error response as a console error.
        expected = any(
            f"responded with a status of {status} " in message.text
            for status in self.expected_statuses
        )
        if message.type == "error" and not expected:
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _request_failed(self, request) -> None:
        # The browser cancels what is still loading (the favicon, an image) when the
        # page navigates on; the server failing shows as another error or a status.
        if request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.problems.append(
                f"HTTP {response.status} for {response.request.method} {response.url}"
            )

    @contextmanager
    def expecting(self, status: int) -> Iterator[None]:
        """A response with ``status`` is the point of what happens inside."""
        self.expected_statuses.add(status)
        try:
            yield
        finally:
            self.expected_statuses.discard(status)

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)


class Person:
    """Someone at a browser: one context (their cookies), one tab, watched."""

    def __init__(self, *, context: BrowserContext, stack: Stack, slug: str, email: str):
        self.context = context
        self.stack = stack
        self.slug = slug
        self.email = email
        self.page = context.new_page()
        self.watch = PageWatch(self.page)

    def url(self, path: str = "/", *, later: bool = False) -> str:
        return self.stack.url(self.slug, path, later=later)

    def goto(
        self, path: str, *, later: bool = False, slug: str | None = None, status: int = 200
    ) -> Page:
        """Open ``path``; its final response must have ``status`` (after redirects)."""
        url = self.stack.url(slug or self.slug, path, later=later)
        with self.watch.expecting(status) if status >= 400 else nullcontext():
            response = self.page.goto(url)
        assert response is not None
        assert response.status == status, f"{url} answered {response.status}, not {status}"
        self.watch.check()
        return self.page

    def sign_in(self) -> "Person":
        self.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.url("/"))
        self.watch.check()
        return self

    def axe(self) -> None:
        """axe-core on the page as it is now: no serious or critical violations."""
        self.page.add_script_tag(url=AXE_URL)
        violations = self.page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                              nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}))"""
        )
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on {self.page.url}:\n" + "\n".join(
            f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in blocking
        )
        self.watch.check()

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


def _wait_out_the_turn_of_the_week(margin: timedelta = timedelta(minutes=5)) -> None:
    """Journey 5 answers this week and reads the answers "a week later" (later_wsgi).

    A run that straddled Monday 00:00 UTC would answer in a week the later server
    still has open; a run starting just before it waits until the week has turned.
    """
    now = datetime.now(UTC)
    turn = start_of_next_week(now)
    if turn - now < margin:
        time.sleep((turn - now).total_seconds() + 1)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium) or set CHROMIUM to its path."
        )
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is not installed: run `npm ci` (make test-browser does).")
    _wait_out_the_turn_of_the_week()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    the_stack = Stack.on_servers_of(
        database_url=settings.DATABASE_URL, redis_url=settings.REDIS_URL
    )
    try:
        the_stack.reset()
        the_stack.start()
        yield the_stack
    finally:
        the_stack.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


class PageAudit:
    """The page-audit reports of one browser context, by page, and of pages no one opened."""

    def __init__(self):
        self.watches: dict[Page, PageWatch] = {}
        self.unattributed: list[str] = []

    def report(self, source, url: str, problems: list[str]) -> None:
        found = [f"{url}: {problem}" for problem in problems]
        watch = self.watches.get(source["page"])
        (watch.problems if watch is not None else self.unattributed).extend(found)


def _screenshot_everyone(persons: list[Person], name: str) -> None:
    for number, someone in enumerate(persons):
        # A page that cannot be captured must not hide the failure being reported.
        with suppress(PlaywrightError):
            someone.screenshot(f"failed-{name}-{number}-{someone.email}")


def watched_context(browser: Browser) -> BrowserContext:
    """A browser context (one person's cookies) serving axe-core and auditing every page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.route(
        re.compile(rf".*{re.escape(AXE_URL)}$"),
        lambda route: route.fulfill(path=AXE_SCRIPT, content_type="text/javascript"),
    )
    context.psops_audit = PageAudit()
    context.expose_binding("psopsAuditProblems", context.psops_audit.report)
    context.add_init_script(PAGE_AUDIT)
    return context


@pytest.fixture
def people(request, browser: Browser, stack: Stack) -> Iterator:
    """``people("sales")`` signs in acme's sales rep in a browser context of their own."""
    contexts: list[BrowserContext] = []
    persons: list[Person] = []

    def person(local_part: str, *, slug: str = "acme", context=None) -> Person:
        if context is None:
            context = watched_context(browser)
            contexts.append(context)
        domain = {slug_: domain for slug_, _, domain in ORGANIZATIONS}[slug]
        someone = Person(context=context, stack=stack, slug=slug, email=f"{local_part}@{domain}")
        context.psops_audit.watches[someone.page] = someone.watch
        persons.append(someone)
        return someone

    yield person
    try:
        problems = []
        for someone in persons:
            someone.page.evaluate("0")  # lets events still on their way arrive
            problems += someone.watch.problems
        for context in contexts:
            problems += context.psops_audit.unattributed
        if problems or getattr(request.node, "journey_failed", False):
            # What each person's screen showed when the journey failed.
            _screenshot_everyone(persons, request.node.name)
        assert not problems, "\n".join(problems)
    finally:
        for context in contexts:
            context.close()
