"""render_page and render_fragment: the one way every view answers a page or its partial."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from psops.ui.htmx import INVALID_STATUS, render_fragment, render_page

PAGE = "psops-ui-test/page.html"


@pytest.fixture(autouse=True)
def page_template(settings, tmp_path):
    """A page with one named partial, in a template folder of this test's own."""
    folder = tmp_path / "psops-ui-test"
    folder.mkdir()
    (folder / "page.html").write_text(
        "{% load partials %}<html><body><h1>Whole page</h1>"
        '{% partialdef results inline %}<ul id="results"><li>{{ item }}</li></ul>'
        "{% endpartialdef %}</body></html>"
    )
    # Changing the setting rebuilds the template engines (Django's setting_changed).
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0].get("DIRS", [])]}
    ]


def request(**headers):
    """A GET request as django-htmx's middleware leaves it."""
    raw = RequestFactory().get("/", headers=headers)
    HtmxMiddleware(lambda r: None)(raw)
    return raw


def test_a_plain_request_gets_the_whole_page():
    response = render_page(request(), PAGE, {"item": "One"}, partial="results")

    assert response.status_code == 200
    assert "<h1>Whole page</h1>" in response.content.decode()
    assert "<li>One</li>" in response.content.decode()


def test_htmx_aimed_at_the_partial_gets_only_the_partial():
    htmx = request(HX_Request="true", HX_Target="results")

    body = render_page(htmx, PAGE, {"item": "One"}, partial="results").content.decode()

    assert body == '<ul id="results"><li>One</li></ul>'


def test_htmx_aimed_elsewhere_and_boosted_links_get_the_whole_page():
    elsewhere = request(HX_Request="true", HX_Target="sidebar")
    boosted = request(HX_Request="true", HX_Target="results", HX_Boosted="true")

    for req in (elsewhere, boosted):
        body = render_page(req, PAGE, {"item": "One"}, partial="results").content.decode()
        assert "<h1>Whole page</h1>" in body


def test_a_target_other_than_the_partials_name_can_be_given():
    htmx = request(HX_Request="true", HX_Target="result-panel")

    body = render_page(
        htmx, PAGE, {"item": "One"}, partial="results", target="result-panel"
    ).content.decode()

    assert "<h1>" not in body


@pytest.mark.parametrize("headers", [{}, {"HX_Request": "true", "HX_Target": "results"}])
def test_every_answer_varies_on_the_htmx_headers(headers):
    response = render_page(request(**headers), PAGE, {"item": "One"}, partial="results")

    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]


def test_invalid_input_answers_400_and_still_shows_the_page():
    response = render_page(request(), PAGE, {"item": "Error"}, invalid=True)

    assert response.status_code == INVALID_STATUS == 400
    assert "<li>Error</li>" in response.content.decode()


def test_an_explicit_status_wins():
    assert render_page(request(), PAGE, {}, invalid=True, status=409).status_code == 409


def test_a_fragment_follows_the_same_rules():
    response = render_fragment(request(HX_Request="true"), f"{PAGE}#results", {"item": "x"})
    refused = render_fragment(request(HX_Request="true"), f"{PAGE}#results", {}, invalid=True)

    assert response.content.decode() == '<ul id="results"><li>x</li></ul>'
    assert "HX-Request" in response["Vary"]
    assert refused.status_code == 400


def test_the_base_template_tells_htmx_to_swap_400_and_nothing_else_4xx():
    """Without this, htmx 2 drops a 400's body and the user never sees the errors."""
    base = Path(django_settings.BASE_DIR, "templates", "_base.html").read_text()
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", base)[1])
    rules = config["responseHandling"]

    def first_rule(code: str) -> dict:
        return next(rule for rule in rules if re.fullmatch(rule["code"].replace(".", r"\d"), code))

    assert first_rule("400")["swap"] is True and first_rule("400")["error"] is False
    assert first_rule("403")["swap"] is False
    assert first_rule("500")["swap"] is False
    assert first_rule("200")["swap"] is True
    assert first_rule("204")["swap"] is False
