"""Insiders against the pulse: a tenant admin who controls accounts (sybils), lowers
the anonymity minimum and moves people between teams must still not read one
person's answer (``health.pulse``, threat model)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from health.weeks import IsoWeek
from psops.accounts.models import Role

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 6, 9, tzinfo=UTC)
VICTIM_WORDS = "I am the only one who still believes in this project"


def this_week() -> IsoWeek:
    return IsoWeek.of(timezone.localdate())


def answer_through_the_page(browser, *, energy, workload, safety, comment=""):
    return browser.post(
        "/pulse/",
        {
            "week": str(this_week()),
            "energy": str(energy),
            "workload": str(workload),
            "safety": str(safety),
            "comment": comment,
        },
    )


def test_an_admin_with_two_accounts_of_their_own_cannot_read_a_colleagues_answer(
    client_for, make_user, django_capture_on_commit_callbacks
):
    """The attack: minimum 3, two controlled accounts put in the victim's team, a week later
    the group of three is the victim plus two known answers."""
    admin = make_user(Role.ADMIN, date_joined=LONG_AGO)
    victim = make_user(Role.CONSULTANT, team="Architects", date_joined=LONG_AGO)
    admin_browser = client_for(admin)
    settings_page = admin_browser.post(
        "/settings/organization/",
        {
            "review_sla_business_days": "2",
            "pulse_minimum_group": "3",
            "scaling_horizon_days": "180",
            "followup_escalation_days": "5",
            "stale_engagement_days": "21",
            "audit_retention_days": "730",
            "weekly_capacity_hours": "40",
        },
    )
    assert settings_page.status_code == 302
    sybils = [make_user(Role.CONSULTANT, full_name=f"Puppet {n}") for n in (1, 2)]
    for sybil in sybils:
        moved = admin_browser.post(
            f"/settings/users/{sybil.pk}/",
            {
                "full_name": sybil.full_name,
                "role": "consultant",
                "time_zone": "Europe/Berlin",
                "team": "Architects",
                "manager": "",
            },
        )
        assert moved.status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        for sybil in sybils:  # the admin knows exactly what these two answered
            answer_through_the_page(client_for(sybil), energy=5, workload=1, safety=5)
        answer_through_the_page(
            client_for(victim), energy=1, workload=5, safety=1, comment=VICTIM_WORDS
        )

    week = this_week()
    with time_machine.travel(week.sunday + timedelta(days=3), tick=False):
        page = client_for(admin).get("/pulse/results/").content.decode()

    section = page.split(f'id="week-{week}"', 1)[1].split("</section>", 1)[0]
    assert VICTIM_WORDS not in page
    for n, energy in re.findall(
        r"<td class=\"num\">(\d+)</td>\s*<td class=\"num\">(\d\.\d)</td>", section
    ):
        victims_energy = float(energy) * int(n) - 5 * 2
        assert round(victims_energy, 1) != 1.0, "the victim's energy is the group minus the two"
    assert "Fewer than" in section
