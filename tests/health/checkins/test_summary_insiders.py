"""A leader who reads their reports' check-ins by name must not read anyone else's
out of the summary by subtraction (``health.checkins.weekly``)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from health.checkins import weekly as checkins
from health.kpis.team import team_energy
from health.weeks import last_closed_week
from psops.accounts.models import Role
from tests.health.checkins.test_weekly import file_checkin, summary_row

pytestmark = pytest.mark.django_db

TEAM_URL = reverse("checkins:team")
SUMMARY_URL = reverse("checkins:summary")


def team_page_energies(page: str) -> list[int]:
    """The energy column of every report's row on the team page."""
    row = r'<th scope="row">[^<]*</th>\s*<td class="num">(\d)</td>'
    return [int(value) for value in re.findall(row, page)]


def test_a_leader_cannot_work_out_a_non_reports_checkin_by_subtraction(
    set_minimum, client_for, make_user
):
    """The attack: the summary's average times its count, minus the reports' own scores."""
    set_minimum(3)
    leader = make_user(Role.LEADER, full_name="Lena Leader")
    week = last_closed_week()
    file_checkin(make_user(manager=leader, full_name="Rita Report"), week, energy=2)
    file_checkin(make_user(manager=leader, full_name="Rob Report"), week, energy=4)
    file_checkin(make_user(full_name="Nina Notareport"), week, energy=5)
    browser = client_for(leader)

    team_page = browser.get(TEAM_URL).content.decode()
    summary = browser.get(SUMMARY_URL).content.decode()

    assert sorted(team_page_energies(team_page)) == [2, 4]  # what the leader reads by name
    row = summary_row(summary, week)
    averages = re.findall(r'<td class="num">(\d\.\d)</td>', row)
    filed = re.search(r"(\d+) of \d+", row)
    if averages and filed:  # what the attack needs: an average and how many it is of
        nina = float(averages[0]) * int(filed.group(1)) - sum(team_page_energies(team_page))
        assert round(nina) != 5, "the non-report's energy is the summary minus the team page"
    assert "Not shown: fewer than 3 people outside your team answered" in row
    assert ">3.7<" not in row


def test_the_summary_shows_the_people_outside_the_viewers_team_once_they_are_enough(
    set_minimum, client_for, make_user
):
    set_minimum(3)
    leader = make_user(Role.LEADER)
    week = last_closed_week()
    file_checkin(leader, week, energy=1)  # the viewer's own: known to them
    file_checkin(make_user(manager=leader), week, energy=1)
    for energy in (3, 4, 5):
        file_checkin(make_user(), week, energy=energy)

    row = summary_row(client_for(leader).get(SUMMARY_URL).content.decode(), week)

    assert ">4.0<" in row  # (3 + 4 + 5) / 3: neither the report's nor the leader's own 1
    assert "3 of " in row


def test_the_summary_is_computed_per_viewer(set_minimum, make_user):
    set_minimum(3)
    leader = make_user(Role.LEADER)
    other_leader = make_user(Role.LEADER)
    week = last_closed_week()
    for _ in range(2):
        file_checkin(make_user(manager=leader), week, energy=1)
    for _ in range(3):
        file_checkin(make_user(manager=other_leader), week, energy=5)

    mine = checkins.checkin_weekly_aggregates(weeks=[week], minimum=3, viewer=leader)[0]
    theirs = checkins.checkin_weekly_aggregates(weeks=[week], minimum=3, viewer=other_leader)[0]

    assert mine.shown and mine.energy == 5.0 and mine.filed == 3
    assert not theirs.shown and theirs.filed == 2 and theirs.energy is None


def test_the_team_energy_kpi_leaves_out_everyone_a_kpi_reader_reads_by_name(set_minimum, make_user):
    """Leaders and admins read the KPI; none of them may subtract their reports from it."""
    set_minimum(3)
    leader = make_user(Role.LEADER)
    week = last_closed_week()
    for energy in (1, 1, 1):
        file_checkin(make_user(manager=leader), week, energy=energy)
    file_checkin(make_user(), week, energy=5)
    file_checkin(make_user(), week, energy=4)
    as_of = week.sunday + timedelta(days=2)
    assert team_energy(as_of, None) is None  # two people outside: too few

    file_checkin(make_user(), week, energy=3)
    assert float(team_energy(as_of, None)) == 4.0
