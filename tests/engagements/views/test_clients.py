"""Clients and their stakeholders, as a delivery person works with them."""

import re

import pytest
from django.urls import reverse

from engagements.models import Client, Stakeholder
from tests.engagements.factories import (
    ClientFactory,
    EngagementFactory,
    PainPointFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

CLIENTS_URL = reverse("engagements:client_list")
NEW_CLIENT_URL = reverse("engagements:client_create")
HTMX = {"HX-Request": "true"}
DUPLICATE = "A client with this name already exists."
CLIENT_ROW = re.compile(r'<td><a href="/clients/(\d+)/">')


@pytest.fixture
def browser(client_for, consultant):
    return client_for(consultant)


@pytest.fixture
def northwind():
    return ClientFactory(name="Northwind Traders", industry="Retail")


def client_data(**changes) -> dict:
    return {"name": "Initech", "industry": "Software", "segment": "smb", "notes": ""} | changes


def stakeholder_data(**changes) -> dict:
    data = {
        "name": "Priya Nair",
        "title": "Head of Fulfilment",
        "email": "priya@northwind.test",
        "role": Stakeholder.Role.CHAMPION,
        "influence": "medium",
        "affected": "high",
        "preferred_channel": Stakeholder.Channel.CHAT,
        "time_zone": "Europe/London",
        "engagements": [],
    }
    return data | changes


def field_errors(response, field: str) -> list[str]:
    """The errors the page shows under one field."""
    match = re.search(
        rf'<ul class="field-errors" id="id_{field}-errors">(.*?)</ul>', response.content.decode()
    )
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


class TestCreatingAClient:
    def test_a_new_client_opens_its_page(self, browser):
        response = browser.post(NEW_CLIENT_URL, client_data(), follow=True)

        client = Client.objects.get(name="Initech")
        assert response.redirect_chain == [(client.get_absolute_url(), 302)]
        page = response.content.decode()
        assert "Client Initech added." in page
        assert "<h1>Initech</h1>" in page
        assert "Software · Small business" in page

    @pytest.mark.parametrize(
        "name", ["Northwind Traders", "northwind traders", "  NORTHWIND TRADERS "]
    )
    def test_a_name_taken_in_any_case_is_a_field_error(self, browser, northwind, name):
        response = browser.post(NEW_CLIENT_URL, client_data(name=name))

        assert response.status_code == 400
        assert field_errors(response, "name") == [DUPLICATE]
        assert 'class="form-errors"' not in response.content.decode()  # said once
        assert Client.objects.count() == 1

    def test_a_name_is_required(self, browser):
        response = browser.post(NEW_CLIENT_URL, client_data(name=""))

        assert response.status_code == 400
        assert field_errors(response, "name") == ["This field is required."]
        assert not Client.objects.exists()


class TestEditingAClient:
    def test_saving_under_its_own_name_is_no_duplicate(self, browser, northwind):
        response = browser.post(
            reverse("engagements:client_edit", args=[northwind.pk]),
            client_data(name="NORTHWIND TRADERS", industry="Wholesale"),
        )

        assert response.status_code == 302
        northwind.refresh_from_db()
        assert northwind.name == "NORTHWIND TRADERS"
        assert northwind.industry == "Wholesale"

    def test_renaming_to_another_clients_name_is_refused(self, browser, northwind):
        contoso = ClientFactory(name="Contoso Health")

        response = browser.post(
            reverse("engagements:client_edit", args=[contoso.pk]),
            client_data(name="northwind traders"),
        )

        assert response.status_code == 400
        assert field_errors(response, "name") == [DUPLICATE]
        contoso.refresh_from_db()
        assert contoso.name == "Contoso Health"


class TestTheClientList:
    def test_it_shows_open_engagements_and_open_pain_points(self, browser, northwind):
        open_engagement = EngagementFactory(client=northwind, status="active")
        EngagementFactory(client=northwind, status="closed")
        PainPointFactory(engagement=open_engagement)
        PainPointFactory(engagement=open_engagement, resolved=True)

        page = browser.get(CLIENTS_URL).content.decode()

        row = page[page.index("Northwind Traders") :].split("</tr>")[0]
        assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "1"]

    def test_an_htmx_search_returns_only_the_results(self, browser, northwind):
        contoso = ClientFactory(name="Contoso Health", industry="Healthcare")

        response = browser.get(
            CLIENTS_URL, {"q": "HEALTH"}, headers=HTMX | {"HX-Target": "client-results"}
        )

        page = response.content.decode()
        assert response.status_code == 200
        assert page.lstrip().startswith('<div id="client-results">')
        assert "<html" not in page
        assert [int(pk) for pk in CLIENT_ROW.findall(page)] == [contoso.pk]

    def test_without_htmx_the_search_is_a_full_page(self, browser, northwind):
        response = browser.get(CLIENTS_URL, {"q": "north"})

        page = response.content.decode()
        assert "<html" in page
        assert 'value="north"' in page
        assert [int(pk) for pk in CLIENT_ROW.findall(page)] == [northwind.pk]

    def test_a_search_without_matches_says_so(self, browser, northwind):
        page = browser.get(CLIENTS_URL, {"q": "zebra"}).content.decode()

        assert "No client matches “zebra”." in page

    def test_pages_keep_the_search(self, browser):
        for number in range(27):
            ClientFactory(name=f"Match {number:02}")
        ClientFactory(name="Other")

        first = browser.get(CLIENTS_URL, {"q": "match"})
        second = browser.get(CLIENTS_URL, {"q": "match", "page": 2})

        assert len(CLIENT_ROW.findall(first.content.decode())) == 25
        assert 'href="?q=match&amp;page=2"' in first.content.decode()
        assert len(CLIENT_ROW.findall(second.content.decode())) == 2
        assert "Page 2 of 2" in second.content.decode()

    def test_pages_keep_a_search_with_an_ampersand(self, browser):
        for number in range(26):
            ClientFactory(name=f"AT&T {number:02}")
        ClientFactory(name="AT Tools")

        first = browser.get(CLIENTS_URL, {"q": "AT&T"}).content.decode()

        assert 'href="?q=AT%26T&amp;page=2"' in first
        second = browser.get(CLIENTS_URL, {"q": "AT&T", "page": 2}).content.decode()
        assert len(CLIENT_ROW.findall(second)) == 1
        assert "AT Tools" not in second


class TestTheClientPage:
    def test_it_shows_engagements_stakeholders_and_open_pain_points(self, browser, northwind):
        rollout = EngagementFactory(client=northwind, name="Order platform rollout")
        StakeholderFactory(client=northwind, name="Dana Whitfield", engagements=[rollout])
        PainPointFactory(engagement=rollout, title="Checkout slows at peak")
        PainPointFactory(engagement=rollout, title="Old and fixed", resolved=True)

        page = browser.get(northwind.get_absolute_url()).content.decode()

        assert "Order platform rollout" in page
        assert "Dana Whitfield" in page
        assert "On: Order platform rollout" in page
        assert "Checkout slows at peak" in page
        assert "Old and fixed" not in page


class TestStakeholders:
    def test_adding_one_attaches_it_to_the_chosen_engagements(self, browser, northwind):
        rollout = EngagementFactory(client=northwind, name="Order platform rollout")
        EngagementFactory(client=northwind, name="Ongoing success")

        response = browser.post(
            reverse("engagements:stakeholder_create", args=[northwind.pk]),
            stakeholder_data(engagements=[rollout.pk]),
            follow=True,
        )

        assert response.redirect_chain == [(northwind.get_absolute_url(), 302)]
        assert "Stakeholder Priya Nair saved." in response.content.decode()
        priya = Stakeholder.objects.get(name="Priya Nair")
        assert priya.client == northwind
        assert list(priya.engagements.all()) == [rollout]
        assert "On: Order platform rollout" in response.content.decode()

    def test_added_from_an_engagement_it_is_on_that_engagement_and_back_there(
        self, browser, northwind
    ):
        rollout = EngagementFactory(client=northwind, name="Order platform rollout")
        EngagementFactory(client=northwind, name="Ongoing success")
        engagement_page = browser.get(rollout.get_absolute_url()).content.decode()
        add = reverse("engagements:stakeholder_create", args=[northwind.pk])
        assert f'href="{add}?engagement={rollout.pk}"' in engagement_page

        form = browser.get(f"{add}?engagement={rollout.pk}").content.decode()
        ticked = re.findall(r'<input[^>]*name="engagements"[^>]*>', form)
        assert [tag for tag in ticked if "checked" in tag] == [
            tag for tag in ticked if f'value="{rollout.pk}"' in tag
        ]
        response = browser.post(
            f"{add}?engagement={rollout.pk}",
            stakeholder_data(engagements=[rollout.pk]),
            follow=True,
        )

        assert response.redirect_chain == [(f"{rollout.get_absolute_url()}#stakeholders", 302)]
        assert list(Stakeholder.objects.get(name="Priya Nair").engagements.all()) == [rollout]

    def test_an_engagement_of_another_client_is_not_ticked(self, browser, northwind):
        elsewhere = EngagementFactory(name="Someone else's project")

        form = browser.get(
            reverse("engagements:stakeholder_create", args=[northwind.pk])
            + f"?engagement={elsewhere.pk}"
        ).content.decode()

        assert "checked" not in "".join(re.findall(r'<input[^>]*name="engagements"[^>]*>', form))

    def test_the_form_offers_only_this_clients_engagements(self, browser, northwind):
        EngagementFactory(client=northwind, name="Order platform rollout")
        EngagementFactory(name="Someone else's project")

        page = browser.get(
            reverse("engagements:stakeholder_create", args=[northwind.pk])
        ).content.decode()

        assert "Order platform rollout" in page
        assert "Someone else" not in page

    def test_an_engagement_of_another_client_is_refused(self, browser, northwind):
        foreign = EngagementFactory(name="Someone else's project")

        response = browser.post(
            reverse("engagements:stakeholder_create", args=[northwind.pk]),
            stakeholder_data(engagements=[foreign.pk]),
        )

        message = f"Select a valid choice. {foreign.pk} is not one of the available choices."
        assert response.status_code == 400
        assert response.context["form"].errors["engagements"] == [message]
        assert message in response.content.decode()
        assert not Stakeholder.objects.exists()

    def test_editing_cannot_attach_an_engagement_of_another_client(self, browser, northwind):
        rollout = EngagementFactory(client=northwind)
        foreign = EngagementFactory()
        priya = StakeholderFactory(client=northwind, name="Priya Nair", engagements=[rollout])

        response = browser.post(
            reverse("engagements:stakeholder_edit", args=[priya.pk]),
            stakeholder_data(name="Priya N.", engagements=[rollout.pk, foreign.pk]),
        )

        assert response.status_code == 400
        assert "engagements" in response.context["form"].errors
        priya.refresh_from_db()
        assert priya.name == "Priya Nair"
        assert list(priya.engagements.all()) == [rollout]

    def test_a_stakeholder_needs_a_name(self, browser, northwind):
        response = browser.post(
            reverse("engagements:stakeholder_create", args=[northwind.pk]),
            stakeholder_data(name=""),
        )

        assert response.status_code == 400
        assert field_errors(response, "name") == ["This field is required."]
        assert not Stakeholder.objects.exists()

    def test_a_stakeholder_can_be_affected_by_a_pain_point(self, browser, northwind):
        # The pain point form offers the client's stakeholders (and only them).
        rollout = EngagementFactory(client=northwind)
        StakeholderFactory(client=northwind, name="Priya Nair")
        StakeholderFactory(name="Stranger Danger")

        page = browser.get(
            reverse("engagements:pain_point_create", args=[rollout.pk])
        ).content.decode()

        assert "Priya Nair" in page
        assert "Stranger Danger" not in page
