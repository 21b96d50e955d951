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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.stack import ARTIFACTS, BASE_DIR, ORGANIZATIONS, PASSWORD, Stack

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
AXE_SCRIPT = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__browser-tests__/axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# Runs in every page before its own scripts: reports a missing title and fields
# without a label, on load and again after every htmx swap.
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
    if (!document.title.trim()) problems.push('the page has no title');
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

    def goto(self, path: str, *, later: bool = False, slug: str | None = None) -> Page:
        url = self.stack.url(slug or self.slug, path, later=later)
        self.page.goto(url)
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


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium) or set CHROMIUM to its path."
        )
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is not installed: run `npm ci` (make test-browser does).")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    the_stack = Stack.on_servers_of(
        database_url=settings.DATABASE_URL, redis_url=settings.REDIS_URL
    )
    the_stack.reset()
    the_stack.start()
    try:
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


def _audit_problem(watch_of, source, url: str, problems: list[str]) -> None:
    watch = watch_of.get(source["page"])
    if watch is not None:
        watch.problems.extend(f"{url}: {problem}" for problem in problems)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


@pytest.fixture
def people(request, browser: Browser, stack: Stack) -> Iterator:
    """``people("sales")`` signs in acme's sales rep in a browser context of their own."""
    contexts: list[BrowserContext] = []
    persons: list[Person] = []

    def person(local_part: str, *, slug: str = "acme", context=None) -> Person:
        if context is None:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(15_000)
            context.route(
                re.compile(rf".*{re.escape(AXE_URL)}$"),
                lambda route: route.fulfill(path=AXE_SCRIPT, content_type="text/javascript"),
            )
            watches: dict[Page, PageWatch] = {}
            context.expose_binding(
                "psopsAuditProblems",
                lambda source, url, problems: _audit_problem(watches, source, url, problems),
            )
            context.add_init_script(PAGE_AUDIT)
            context.psops_watches = watches
            contexts.append(context)
        domain = {slug_: domain for slug_, _, domain in ORGANIZATIONS}[slug]
        someone = Person(context=context, stack=stack, slug=slug, email=f"{local_part}@{domain}")
        context.psops_watches[someone.page] = someone.watch
        persons.append(someone)
        return someone

    yield person
    if getattr(request.node, "journey_failed", False):
        # What each person's screen showed when the journey failed.
        for number, someone in enumerate(persons):
            someone.screenshot(f"failed-{request.node.name}-{number}-{someone.email}")
    try:
        for someone in persons:
            someone.watch.check()
    finally:
        for context in contexts:
            context.close()
