import re

import pytest

pytestmark = pytest.mark.django_db


def current_nav_items(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ["Home"]),
        ("/handoffs/", ["Handoffs"]),
        ("/handoffs/report/", ["Enablement"]),
        ("/engagements/", ["Engagements"]),
        ("/followups/mine/", ["My follow-ups"]),
    ],
)
def test_exactly_the_page_you_are_on_is_marked_in_the_navigation(
    client_for, leader, path, expected
):
    html = client_for(leader).get(path).content.decode()

    assert current_nav_items(html) == expected


@pytest.mark.parametrize(
    ("role_fixture", "visible", "hidden"),
    [
        ("sales", ["Engagements", "Handoffs"], ["Clients", "Users", "Enablement", "API tokens"]),
        ("consultant", ["Clients", "My follow-ups"], ["Users", "Enablement", "API tokens"]),
        ("leader", ["Clients", "Enablement"], ["Users", "API tokens", "Settings"]),
        ("admin_user", ["Users", "API tokens", "Settings"], []),
    ],
)
def test_the_navigation_shows_each_role_only_its_pages(
    request, client_for, role_fixture, visible, hidden
):
    html = client_for(request.getfixturevalue(role_fixture)).get("/").content.decode()
    nav = html.split('<nav aria-label="Main" id="main-nav">', 1)[1].split("</nav>", 1)[0]

    for label in visible:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav
