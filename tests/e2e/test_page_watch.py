"""The page watch and axe fail on what a user would meet, so green journeys mean something.

A page with each kind of fault is served in place of a real one (Playwright's
routing), and the watch must name every fault. Runs after the journeys.
"""

import re

import pytest

from tests.e2e.conftest import Person, watched_context

BROKEN_PAGE = """<!doctype html><html lang="en"><head><title></title></head><body>
<main><h1>Broken on purpose</h1>
<form><input name="nameless"></form>
<img src="/static/no-such-image.png" alt="">
<script>console.error("broken on purpose"); undefined_function();</script>
</main></body></html>"""

INACCESSIBLE_PAGE = """<!doctype html><html><head><title>Inaccessible · Acme</title></head>
<body><main><h1>Inaccessible on purpose</h1><ul role="status"><li>orphan item</li></ul>
<button></button></main></body></html>"""


@pytest.fixture
def someone(browser, stack):
    context = watched_context(browser)
    person = Person(context=context, stack=stack, slug="acme", email="nobody@acme.test")
    context.psops_audit.watches[person.page] = person.watch
    yield person
    context.close()


def _serve(person: Person, path: str, html: str) -> None:
    person.context.route(
        person.url(path),
        lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"),
    )


def test_the_watch_names_each_fault_of_a_page(someone):
    _serve(someone, "/broken/", BROKEN_PAGE)

    with pytest.raises(AssertionError) as failure:
        someone.goto("/broken/")
        someone.page.wait_for_timeout(200)  # the audit reports once the DOM is ready
        someone.watch.check()

    problems = str(failure.value)
    assert "JavaScript error: " in problems and "undefined_function" in problems
    assert "console error" in problems and "broken on purpose" in problems
    assert re.search(r"HTTP 404 for GET \S+/static/no-such-image\.png", problems)
    assert "the page has no title of its own" in problems
    assert 'field without a label: <input name="nameless">' in problems


def test_a_page_with_only_the_site_default_title_is_reported(someone):
    default_title = "<title>PS Ops · Acme Corp</title>"
    _serve(someone, "/untitled/", BROKEN_PAGE.replace("<title></title>", default_title))

    someone.page.goto(someone.url("/untitled/"))
    someone.page.wait_for_timeout(200)

    assert any('no title of its own: "PS Ops · Acme Corp"' in p for p in someone.watch.problems), (
        someone.watch.problems
    )


def test_an_unexpected_status_fails_goto(someone):
    with pytest.raises(AssertionError, match=r"answered 302|answered 200, not 404"):
        someone.goto("/engagements/", status=404)


def test_axe_fails_on_serious_violations(someone):
    _serve(someone, "/inaccessible/", INACCESSIBLE_PAGE)
    someone.goto("/inaccessible/")

    with pytest.raises(AssertionError) as failure:
        someone.axe()

    violations = str(failure.value)
    assert "serious listitem" in violations
    assert "critical button-name" in violations
    assert "serious html-has-lang" in violations
